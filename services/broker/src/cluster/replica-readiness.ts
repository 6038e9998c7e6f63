/**
 * "Ready" for a broker means more than a running process (Strimzi's lesson): every partition it
 * replicates has caught up. Kubernetes reads this through the gRPC readiness probe, so a rolling
 * restart moves on to the next broker only once the last one is back in every ISR it belongs to.
 * Design: docs/kubernetes.md ("Readiness").
 */
import type {
  BrokerRegistration,
  MetadataChange,
  PartitionState,
  TopicRecord,
  Versioned,
} from '@tributary/registry';
import type { ClusterMetadata } from './cluster-metadata';

/** Shortest time between two readiness passes during a burst of metadata changes. */
const EVALUATE_EVERY_MS = 250;

/** The grpc.health.v1 service name the readiness probe asks about. */
export const REPLICAS_CAUGHT_UP = 'tributary.v1.Broker/replicas-caught-up';

/** A partition this broker replicates but is not in sync with yet. */
export interface LaggingReplica {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
}

/**
 * The partitions `brokerId` replicates whose leader is another live broker and whose ISR lacks
 * `brokerId`. Partitions without a live leader are left out: nothing can be caught up from, and
 * waiting on them would keep a broker unready for a failure it cannot mend. Topics being deleted
 * are left out too.
 */
export function laggingReplicas(
  brokerId: number,
  topics: ReadonlyMap<string, Versioned<TopicRecord>>,
  partitionsOf: (topic: string) => ReadonlyMap<number, Versioned<PartitionState>>,
  liveBrokers: ReadonlyMap<number, BrokerRegistration>,
): LaggingReplica[] {
  const lagging: LaggingReplica[] = [];
  for (const [topic, versioned] of topics) {
    const states = partitionsOf(topic);
    versioned.value.replicas.forEach((_, partition) => {
      const leader = lagsBehind(
        brokerId,
        versioned.value,
        states.get(partition)?.value,
        partition,
        liveBrokers,
      );
      if (leader !== undefined) lagging.push({ topic, partition, leader });
    });
  }
  return lagging;
}

/** The leader `brokerId` lags behind on this partition (see `laggingReplicas`), or undefined. */
function lagsBehind(
  brokerId: number,
  record: TopicRecord | undefined,
  state: PartitionState | undefined,
  partition: number,
  liveBrokers: ReadonlyMap<number, BrokerRegistration>,
): number | undefined {
  if (record === undefined || record.deleting || !record.replicas[partition]?.includes(brokerId))
    return undefined;
  if (state === undefined || state.leader === brokerId || !liveBrokers.has(state.leader)) return undefined;
  return state.isr.includes(brokerId) ? undefined : state.leader;
}

/**
 * Keeps `set(caughtUp)` current from the metadata mirror. The lagging replicas are kept as a set
 * and followed change by change: a partition change re-checks that partition, a topic change that
 * topic's partitions, and only a broker coming or going (its leaderships count or stop counting)
 * re-checks every replica. Changes are coalesced: the first after a quiet spell is applied on the
 * next turn, a burst after that at most every EVALUATE_EVERY_MS.
 *
 * Why not a pass over every replica per burst (the way before): with 10,000 partitions a pass per
 * tick while a topic's ISR changes arrived was a quarter of a broker's CPU, and even coalesced to
 * 4 a second it stayed proportional to the partitions held, not to the ones that changed.
 */
export class ReplicaReadiness {
  private unsubscribe: (() => void) | undefined;
  private scheduled = false;
  private lastCaughtUp: boolean | undefined;
  private lastEvaluated = Number.NEGATIVE_INFINITY;
  /** Lagging replicas by `topic/partition`. */
  private readonly lagging = new Map<string, LaggingReplica>();
  /** Changed since the last pass: partitions by topic, whole topics, or everything. */
  private readonly changedPartitions = new Map<string, Set<number>>();
  private readonly changedTopics = new Set<string>();
  private everything = true;

  constructor(
    private readonly brokerId: number,
    private readonly metadata: ClusterMetadata,
    private readonly set: (caughtUp: boolean, lagging: readonly LaggingReplica[]) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.metadata.onChange((change) => this.changed(change));
    this.everything = true;
    this.evaluate();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The lagging replicas as of the last pass. */
  laggingNow(): LaggingReplica[] {
    return [...this.lagging.values()];
  }

  private changed(change: MetadataChange): void {
    if (change.section === 'partitions') {
      const partitions = this.changedPartitions.get(change.topic);
      if (partitions === undefined) this.changedPartitions.set(change.topic, new Set([change.partition]));
      else partitions.add(change.partition);
    } else if (change.section === 'topics') this.changedTopics.add(change.topic);
    else if (change.section === 'brokers') this.everything = true;
    else return;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      if (this.unsubscribe) this.evaluate();
    };
    const wait = this.lastEvaluated + EVALUATE_EVERY_MS - performance.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait);
  }

  private evaluate(): void {
    this.lastEvaluated = performance.now();
    const view = this.metadata.view;
    const live = view.brokers();
    if (this.everything) {
      this.lagging.clear();
      for (const r of laggingReplicas(this.brokerId, view.topics(), (t) => view.partitions(t), live))
        this.lagging.set(`${r.topic}/${r.partition}`, r);
    } else {
      for (const topic of this.changedTopics) {
        for (const [key, r] of this.lagging) if (r.topic === topic) this.lagging.delete(key);
        const record = view.topic(topic)?.value;
        const states = view.partitions(topic);
        const count = record?.replicas.length ?? 0;
        for (let partition = 0; partition < count; partition++)
          this.recheck(topic, partition, record, states, live);
      }
      for (const [topic, partitions] of this.changedPartitions) {
        if (this.changedTopics.has(topic)) continue;
        const record = view.topic(topic)?.value;
        const states = view.partitions(topic);
        for (const partition of partitions) this.recheck(topic, partition, record, states, live);
      }
    }
    this.everything = false;
    this.changedTopics.clear();
    this.changedPartitions.clear();
    const caughtUp = this.lagging.size === 0;
    if (caughtUp !== this.lastCaughtUp) {
      this.lastCaughtUp = caughtUp;
      this.set(caughtUp, [...this.lagging.values()]);
    }
  }

  private recheck(
    topic: string,
    partition: number,
    record: TopicRecord | undefined,
    states: ReadonlyMap<number, Versioned<PartitionState>>,
    live: ReadonlyMap<number, BrokerRegistration>,
  ): void {
    const key = `${topic}/${partition}`;
    const leader = lagsBehind(this.brokerId, record, states.get(partition)?.value, partition, live);
    if (leader === undefined) this.lagging.delete(key);
    else this.lagging.set(key, { topic, partition, leader });
  }
}
