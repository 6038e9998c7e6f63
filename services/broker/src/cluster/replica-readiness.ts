/**
 * "Ready" for a broker means more than a running process (Strimzi's lesson): every partition it
 * replicates has caught up. Kubernetes reads this through the gRPC readiness probe, so a rolling
 * restart moves on to the next broker only once the last one is back in every ISR it belongs to.
 * Design: docs/kubernetes.md ("Readiness").
 */
import type { BrokerRegistration, PartitionState, TopicRecord, Versioned } from '@tributary/registry';
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
  for (const [topic, { value: record }] of topics) {
    if (record.deleting) continue;
    const states = partitionsOf(topic);
    record.replicas.forEach((replicas, partition) => {
      if (!replicas.includes(brokerId)) return;
      const state = states.get(partition)?.value;
      if (state === undefined || state.leader === brokerId || !liveBrokers.has(state.leader)) return;
      if (!state.isr.includes(brokerId)) lagging.push({ topic, partition, leader: state.leader });
    });
  }
  return lagging;
}

/**
 * Keeps `set(caughtUp)` current from the metadata mirror: evaluated once at start and again after
 * every burst of changes (coalesced to one pass per tick, since a leader change touches many keys).
 */
export class ReplicaReadiness {
  private unsubscribe: (() => void) | undefined;
  private scheduled = false;
  private lastCaughtUp: boolean | undefined;
  private lastEvaluated = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly brokerId: number,
    private readonly metadata: ClusterMetadata,
    private readonly set: (caughtUp: boolean, lagging: readonly LaggingReplica[]) => void,
  ) {}

  start(): void {
    this.unsubscribe = this.metadata.onChange(() => this.schedule());
    this.evaluate();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /**
   * The first change after a quiet spell is evaluated on the next turn; a burst after that at
   * most every EVALUATE_EVERY_MS. A pass walks every replica: once per tick while a
   * 10,000-partition topic's ISR changes arrived was a quarter of the broker's CPU.
   */
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
    const lagging = laggingReplicas(
      this.brokerId,
      view.topics(),
      (topic) => view.partitions(topic),
      view.brokers(),
    );
    const caughtUp = lagging.length === 0;
    if (caughtUp !== this.lastCaughtUp) {
      this.lastCaughtUp = caughtUp;
      this.set(caughtUp, lagging);
    }
  }
}
