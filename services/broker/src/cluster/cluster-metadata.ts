/**
 * The broker's view of cluster metadata (ARCHITECTURE §1: "Everything a client needs is reachable
 * from any broker"): live brokers, group coordinators, the active controller, topic records and
 * partition states, mirrored from etcd by a MetadataView (one PrefixWatch per prefix, each
 * resuming from its last revision after a reconnect, rebuilt from a snapshot after a compaction).
 *
 * Lookups are synchronous reads of the mirror; `onChange` reports every key that changes, in
 * revision order per prefix. The Metadata handler answers from here, the replica follower reacts
 * to partition changes from here, and the data plane asks it for leaders and broker addresses.
 */
import {
  type BrokerRegistration,
  type MetadataChange,
  MetadataView,
  type Namespace,
  type PartitionState,
  type TopicRecord,
  type Versioned,
} from '@tributary/registry';

/** A partition's leader and leader epoch per the latest metadata. */
export interface LeaderInfo {
  readonly leaderId: number;
  readonly leaderEpoch: number;
}

export class ClusterMetadata {
  private viewRef: MetadataView | undefined;
  private started = false;

  /** `ns` is asked for at `start` (the etcd connection is a start-up step of its own). */
  constructor(
    private readonly ns: () => Namespace,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Loads every prefix and starts watching; lookups answer "unknown" until this resolves. */
  async start(): Promise<void> {
    this.viewRef = new MetadataView(this.ns(), {
      sections: ['brokers', 'coordinators', 'controller', 'topics', 'partitions'],
      onError: this.onError,
    });
    await this.viewRef.start();
    this.started = true;
  }

  get loaded(): boolean {
    return this.started;
  }

  /** The underlying mirror (throws before `start`). */
  get view(): MetadataView {
    if (!this.viewRef) throw new Error('cluster metadata is not started yet');
    return this.viewRef;
  }

  async close(): Promise<void> {
    await this.viewRef?.close();
  }

  /** Calls `listener` with every change from now on; returns the unsubscribe function. */
  onChange(listener: (change: MetadataChange) => void): () => void {
    return this.view.onChange(listener);
  }

  /** Live brokers by id. */
  brokers(): ReadonlyMap<number, BrokerRegistration> {
    return this.viewRef?.brokers() ?? new Map();
  }

  /** `host:port` of a live broker. */
  addressOf(brokerId: number): string | undefined {
    const broker = this.brokers().get(brokerId);
    return broker === undefined ? undefined : `${broker.host}:${broker.port}`;
  }

  /** A topic's record, unless the topic does not exist or is being deleted. */
  topic(name: string): TopicRecord | undefined {
    const record = this.viewRef?.topic(name)?.value;
    return record && !record.deleting ? record : undefined;
  }

  /** A topic record as stored (including a topic being deleted), with its revisions. */
  topicEntry(name: string): Versioned<TopicRecord> | undefined {
    return this.viewRef?.topic(name);
  }

  /** The partition's state, or undefined if unknown. */
  partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.viewRef?.partition(topic, partition)?.value;
  }

  /** Leader and epoch of a partition, or undefined if the partition is unknown. */
  leaderOf(topic: string, partition: number): LeaderInfo | undefined {
    const state = this.partitionState(topic, partition);
    return state === undefined ? undefined : { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
  }

  /** Whether the topic (not being deleted) has this partition. */
  partitionExists(topic: string, partition: number): boolean {
    const record = this.topic(topic);
    return (
      record !== undefined &&
      Number.isInteger(partition) &&
      partition >= 0 &&
      partition < record.replicas.length
    );
  }

  /** The replicas of a partition, preferred leader first ([] if unknown). */
  replicasOf(topic: string, partition: number): readonly number[] {
    return this.topic(topic)?.replicas[partition] ?? [];
  }
}
