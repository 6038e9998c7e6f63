/**
 * What the consumer does when the group session assigns, revokes or loses partitions: start
 * reading new ones at their committed offsets (else autoOffsetReset), and for revoked ones stop
 * fetching, wait for their handlers, call the listener, commit (auto-commit) and forget them;
 * the application's rebalance listener hears of each change.
 */
import type { ConsumerCore } from './consumer-core';
import type { PartitionQueue } from './partition-queue';
import { tpKey } from './partition-set';
import type { RebalanceListener, TopicPartition, TopicPartitionOffset } from './types';

export class RebalanceHandler<K, V> {
  listener: RebalanceListener = {};

  constructor(
    private readonly core: ConsumerCore<K, V>,
    private readonly commit: (offsets: readonly TopicPartitionOffset[]) => Promise<void>,
  ) {}

  /** The full target set of a new generation. */
  async assigned(partitions: TopicPartition[]): Promise<void> {
    const core = this.core;
    const target = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const removed = core.partitions.all().filter((q) => !target.has(q.key));
    if (removed.length > 0)
      await this.revoked(
        removed.map((q) => ({ topic: q.topic, partition: q.partition })),
        false,
      );
    const added = partitions.filter((p) => core.partitions.get(p.topic, p.partition) === undefined);
    // Positions reset by autoOffsetReset count as uncommitted (-1), so the next commit records
    // them and the group shows lag for partitions nothing was read from yet (as Kafka does).
    const committed = new Map<string, number>();
    const positions = await core.startPositions(added, committed);
    core.addQueues(
      positions,
      new Map(
        positions.map((p) => [tpKey(p.topic, p.partition), committed.get(tpKey(p.topic, p.partition)) ?? -1]),
      ),
    );
    if (added.length > 0) await this.listener.onPartitionsAssigned?.(added);
  }

  /** Releases these partitions; `commit` false when the assignment replaced them anyway. */
  async revoked(partitions: TopicPartition[], commit = true): Promise<void> {
    const core = this.core;
    const qs = partitions
      .map((p) => core.partitions.get(p.topic, p.partition))
      .filter((q): q is PartitionQueue => q !== undefined);
    if (qs.length === 0) return;
    for (const q of qs) q.paused = true;
    core.source?.remove(qs);
    await Promise.allSettled(qs.map((q) => core.inFlight.get(q.key)));
    await this.listener.onPartitionsRevoked?.(partitions);
    if (commit && core.options.autoCommit) {
      const items = qs
        .filter((q) => q.consumed !== q.committed)
        .map((q) => ({ topic: q.topic, partition: q.partition, offset: q.consumed }));
      await this.commit(items).catch(() => {});
    }
    for (const q of qs) core.dropQueue(q);
  }

  /** Membership was lost: the partitions are no longer ours (nothing to commit). */
  async lost(): Promise<void> {
    const core = this.core;
    const lost = core.partitions.list();
    core.source?.remove(lost);
    for (const q of core.partitions.all()) core.dropQueue(q);
    if (lost.length > 0) await this.listener.onPartitionsLost?.(lost);
  }
}
