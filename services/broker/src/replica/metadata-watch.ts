/**
 * Drives the replica manager from etcd until issue 5's `cluster/` ClusterMetadata lands (it
 * will call the same `LocalReplicaManager` interface; then this file goes): it mirrors
 * `topics/`, `partitions/` and `brokers/` with PrefixWatch (snapshot, then every change, resumed
 * after reconnects) and, for each partition this broker is a replica of, calls becomeLeader,
 * becomeFollower or stopReplica. It also answers the handlers' leader hints and the followers'
 * broker addresses.
 */
import {
  type BrokerRegistration,
  isBrokerRegistration,
  isPartitionState,
  isTopicRecord,
  keys,
  type Namespace,
  type PartitionState,
  PrefixWatch,
  parseRecord,
  type TopicRecord,
} from '@tributary/registry';
import type { LocalReplicaManager, Logger, MetadataView } from './replica-manager';

export class MetadataWatch implements MetadataView {
  readonly topics = new Map<string, TopicRecord>();
  readonly states = new Map<string, PartitionState>();
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly #watches: PrefixWatch[] = [];
  readonly #applied = new Map<string, string>();

  constructor(
    private readonly ns: Namespace,
    private readonly brokerId: number,
    private readonly replicas: LocalReplicaManager,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const onError = (err: Error) => this.logger.warn({ err: err.message }, 'metadata watch error');
    const brokers = new PrefixWatch(
      this.ns,
      keys.brokersPrefix(),
      {
        onSnapshot: (entries) => {
          this.brokers.clear();
          for (const [k, v] of entries) this.#putBroker(k, v);
        },
        onPut: (k, v) => this.#putBroker(k, v),
        onDelete: (k) => {
          this.brokers.delete(keys.brokerIdOfKey(k));
        },
      },
      onError,
    );
    const topics = new PrefixWatch(
      this.ns,
      keys.topicsPrefix(),
      {
        onSnapshot: async (entries) => {
          this.topics.clear();
          for (const [k, v] of entries)
            this.topics.set(k.slice(keys.topicsPrefix().length), parseRecord(k, v, isTopicRecord));
        },
        onPut: async (k, v) => {
          const t = parseRecord(k, v, isTopicRecord);
          this.topics.set(t.name, t);
          await this.#reconcileTopic(t.name);
        },
        onDelete: async (k) => {
          const name = k.slice(keys.topicsPrefix().length);
          this.topics.delete(name);
          await this.#reconcileTopic(name);
        },
      },
      onError,
    );
    const partitions = new PrefixWatch(
      this.ns,
      keys.partitionsPrefix(),
      {
        onSnapshot: async (entries) => {
          this.states.clear();
          for (const [k, v] of entries)
            this.states.set(k.slice(keys.partitionsPrefix().length), parseRecord(k, v, isPartitionState));
          for (const name of this.topics.keys()) await this.#reconcileTopic(name);
        },
        onPut: async (k, v) => {
          const rel = k.slice(keys.partitionsPrefix().length);
          this.states.set(rel, parseRecord(k, v, isPartitionState));
          const slash = rel.lastIndexOf('/');
          await this.#reconcile(rel.slice(0, slash), Number(rel.slice(slash + 1)));
        },
        onDelete: async (k) => {
          const rel = k.slice(keys.partitionsPrefix().length);
          this.states.delete(rel);
        },
      },
      onError,
    );
    this.#watches.push(brokers, topics, partitions);
    await brokers.start();
    await topics.start();
    await partitions.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.#watches.map((w) => w.close()));
  }

  leaderOf(topic: string, partition: number): { leaderId: number; leaderEpoch: number } | undefined {
    const s = this.states.get(`${topic}/${partition}`);
    return s === undefined ? undefined : { leaderId: s.leader, leaderEpoch: s.leaderEpoch };
  }

  partitionExists(topic: string, partition: number): boolean {
    const t = this.topics.get(topic);
    return t !== undefined && partition >= 0 && partition < t.replicas.length;
  }

  /** `host:port` of a live broker. */
  addressOf(brokerId: number): string | undefined {
    const b = this.brokers.get(brokerId);
    return b === undefined ? undefined : `${b.host}:${b.port}`;
  }

  #putBroker(key: string, value: string): void {
    const b = parseRecord(key, value, isBrokerRegistration);
    this.brokers.set(b.id, b);
  }

  async #reconcileTopic(name: string): Promise<void> {
    const t = this.topics.get(name);
    const count = t?.replicas.length ?? 0;
    const held = [...this.#applied.keys()]
      .filter((k) => k.startsWith(`${name}/`))
      .map((k) => Number(k.slice(name.length + 1)));
    const all = new Set([...held, ...Array.from({ length: count }, (_, i) => i)]);
    for (const p of all) await this.#reconcile(name, p);
  }

  async #reconcile(topicName: string, partition: number): Promise<void> {
    const key = `${topicName}/${partition}`;
    const topic = this.topics.get(topicName);
    const state = this.states.get(key);
    const tp = { topic: topicName, partition };
    try {
      if (topic === undefined || topic.deleting === true) {
        if (this.#applied.has(key)) {
          this.#applied.delete(key);
          await this.replicas.stopReplica(tp, true);
        }
        return;
      }
      const replicas = topic.replicas[partition] ?? [];
      if (!replicas.includes(this.brokerId)) {
        if (this.#applied.has(key)) {
          this.#applied.delete(key);
          await this.replicas.stopReplica(tp, false);
        }
        return;
      }
      if (state === undefined) return;
      const signature = JSON.stringify([state, replicas, topic.configs]);
      if (this.#applied.get(key) === signature) return;
      this.#applied.set(key, signature);
      if (state.leader === this.brokerId) await this.replicas.becomeLeader(tp, state, topic);
      else await this.replicas.becomeFollower(tp, state, topic);
    } catch (err) {
      this.#applied.delete(key);
      this.logger.warn(
        { topic: topicName, partition, err: (err as Error).message },
        'applying partition state failed',
      );
    }
  }
}
