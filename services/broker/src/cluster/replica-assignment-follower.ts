/**
 * Makes this broker follow the partition metadata in etcd (ARCHITECTURE §2, "Watches drive
 * change"): for every partition whose replicas include this broker it calls becomeLeader or
 * becomeFollower on the LocalReplicaManager when the partition's leader, leader epoch, ISR,
 * replicas or topic config change, and stopReplica when the topic goes or the broker leaves the
 * replicas.
 *
 * Deletion: when a topic is marked `deleting`, every local partition of it is stopped with its
 * data deleted, then the broker acknowledges under `deletions/<topic>/<broker>` (a txn guarded by
 * the topic's create revision, so an acknowledgement can never count for a newer topic of the same
 * name); the controller removes the topic's keys once every live replica has acknowledged. A
 * broker that was down meanwhile finds, when it starts, local partition directories of topics that
 * no longer exist (or that no longer list it) and deletes them.
 *
 * Changes are coalesced: each watch event marks its partition (or topic) dirty and one sweep,
 * scheduled with setImmediate, applies everything dirty with bounded concurrency, so a controller
 * moving 1,000 partitions at once costs one sweep, not 1,000.
 */
import {
  keys,
  type MetadataChange,
  type Namespace,
  serializeRecord,
  type TopicDeletionAck,
} from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { forEachConcurrently } from '../for-each-concurrently';
import type { ClusterMetadata } from './cluster-metadata';
import type { LocalLogs, LocalReplicaManager, TopicPartitionRef } from './local-replica-manager';

export interface ReplicaAssignmentFollowerOptions {
  readonly brokerId: number;
  readonly metadata: ClusterMetadata;
  readonly replicas: LocalReplicaManager;
  /** The partition directories on disk (for leftovers of deleted topics). */
  readonly localLogs: LocalLogs;
  /** For deletion acknowledgements. */
  readonly ns: () => Namespace;
  readonly logger: Logger;
  /** Partitions applied at once. @default 8 */
  readonly concurrency?: number;
}

const tpKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class ReplicaAssignmentFollower {
  /** What was last applied per partition (`<topic>/<p>` → signature), to skip repeats. */
  private readonly applied = new Map<string, string>();
  /** Topic ids whose deletion this broker has acknowledged. */
  private readonly acknowledged = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly dirtyTopics = new Set<string>();
  private sweeping: Promise<void> | undefined;
  private scheduled = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: ReplicaAssignmentFollowerOptions) {}

  /** Applies the whole metadata (the view must be started), then follows its changes. */
  async start(): Promise<void> {
    this.unsubscribe = this.options.metadata.onChange((change) => this.onChange(change));
    for (const name of this.options.metadata.view.topics().keys()) this.dirtyTopics.add(name);
    for (const tp of this.options.localLogs.all()) this.dirty.add(tpKey(tp.topic, tp.partition));
    await this.sweep();
  }

  /** Stops following; resolves when the sweep in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.sweeping;
  }

  /** Resolves when every change seen so far has been applied (for tests). */
  async settled(): Promise<void> {
    while (this.sweeping || this.scheduled) await (this.sweeping ?? new Promise((r) => setImmediate(r)));
  }

  private onChange(change: MetadataChange): void {
    if (change.section === 'topics') this.dirtyTopics.add(change.topic);
    else if (change.section === 'partitions') this.dirty.add(tpKey(change.topic, change.partition));
    else return;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.sweep();
    });
  }

  private sweep(): Promise<void> {
    if (this.sweeping) {
      // Run again once the current sweep ends: it may have missed what was marked meanwhile.
      return this.sweeping.then(() =>
        this.dirty.size > 0 || this.dirtyTopics.size > 0 ? this.sweep() : undefined,
      );
    }
    this.sweeping = this.runSweep().finally(() => {
      this.sweeping = undefined;
      if (this.dirty.size > 0 || this.dirtyTopics.size > 0) this.schedule();
    });
    return this.sweeping;
  }

  private async runSweep(): Promise<void> {
    const topics = [...this.dirtyTopics];
    this.dirtyTopics.clear();
    for (const name of topics) {
      const count = this.options.metadata.topicEntry(name)?.value.replicas.length ?? 0;
      for (let p = 0; p < count; p++) this.dirty.add(tpKey(name, p));
      for (const key of this.applied.keys()) if (key.startsWith(`${name}/`)) this.dirty.add(key);
      for (const tp of this.options.localLogs.all())
        if (tp.topic === name) this.dirty.add(tpKey(tp.topic, tp.partition));
    }
    const work = [...this.dirty].map((key) => {
      const slash = key.lastIndexOf('/');
      return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)) };
    });
    this.dirty.clear();
    const t0 = performance.now();
    // Built only when a sweep meets a partition this broker does not replicate (rare): a Set of
    // every local log per sweep made the many small sweeps of an ISR change burst quadratic.
    let disk: Set<string> | undefined;
    const onDisk = {
      has: (key: string) => {
        disk ??= new Set(this.options.localLogs.all().map((l) => tpKey(l.topic, l.partition)));
        return disk.has(key);
      },
    };
    await forEachConcurrently(work, this.options.concurrency ?? 8, async (tp) => {
      if (this.stopped) return;
      await this.apply(tp, onDisk);
      // Let timers and I/O in between: the replica manager's work may be synchronous (file
      // creation, checkpoints), and a sweep of thousands of partitions must not starve the
      // lease keep-alive or the gRPC server.
      await new Promise((resolve) => setImmediate(resolve));
    });
    for (const name of new Set(work.map((w) => w.topic))) await this.acknowledgeDeletion(name);
    if (work.length >= 100) {
      this.options.logger.info(
        { partitions: work.length, ms: Math.round(performance.now() - t0) },
        'applied partition metadata',
      );
    }
  }

  private async apply(tp: TopicPartitionRef, onDisk: { has(key: string): boolean }): Promise<void> {
    const key = tpKey(tp.topic, tp.partition);
    const { metadata, replicas, brokerId, logger } = this.options;
    const entry = metadata.topicEntry(tp.topic);
    const record = entry?.value;
    const assigned = record?.replicas[tp.partition] ?? [];
    try {
      if (!record || record.deleting || !assigned.includes(brokerId)) {
        if (!this.applied.has(key) && !onDisk.has(key)) return;
        this.applied.delete(key);
        const why = !record ? 'topic unknown' : record.deleting ? 'topic deleted' : 'no longer a replica';
        logger.debug({ topic: tp.topic, partition: tp.partition, why }, 'removing local replica');
        await replicas.stopReplica(tp, true);
        return;
      }
      const state = metadata.partitionState(tp.topic, tp.partition);
      if (!state) return; // the controller has not written it yet
      const signature = JSON.stringify([
        record.topicId,
        state.leader,
        state.leaderEpoch,
        state.isr,
        state.partitionEpoch,
        assigned,
        record.configs,
        state.reassignment?.adding,
        state.reassignment?.throttleBytesPerSec,
      ]);
      if (this.applied.get(key) === signature) return;
      this.applied.set(key, signature);
      if (state.leader === brokerId) await replicas.becomeLeader(tp, state, record);
      else await replicas.becomeFollower(tp, state, record);
    } catch (err) {
      this.applied.delete(key);
      logger.warn(
        { topic: tp.topic, partition: tp.partition, err: (err as Error).message },
        'applying partition metadata failed; will retry',
      );
      setTimeout(() => {
        this.dirty.add(key);
        this.schedule();
      }, 1000).unref();
    }
  }

  /** Acknowledges a `deleting` topic once none of its partitions is left on this broker. */
  private async acknowledgeDeletion(name: string): Promise<void> {
    const entry = this.options.metadata.topicEntry(name);
    if (!entry?.value.deleting || this.acknowledged.has(entry.value.topicId)) return;
    if (!entry.value.replicas.some((r) => r.includes(this.options.brokerId))) return;
    const left = this.options.localLogs.all().some((l) => l.topic === name);
    if (left) return;
    const ns = this.options.ns();
    const ack: TopicDeletionAck = {
      version: 1,
      topicId: entry.value.topicId,
      brokerId: this.options.brokerId,
      deletedAt: Date.now(),
    };
    const ackKey = keys.topicDeletionAckKey(name, this.options.brokerId);
    try {
      await ns
        .if(keys.topicKey(name), 'Create', '==', entry.createRevision)
        .then(ns.put(ackKey).value(serializeRecord(ack)))
        .commit();
      this.acknowledged.add(ack.topicId);
      this.options.logger.info({ topic: name, topicId: ack.topicId }, 'deleted local data of topic');
    } catch (err) {
      this.options.logger.warn(
        { topic: name, err: (err as Error).message },
        'could not acknowledge topic deletion',
      );
    }
  }
}
