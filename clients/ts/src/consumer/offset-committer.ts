/**
 * Commits with rejoin: commits positions to the group, and when membership moved under the
 * commit (a rebalance, or a coordinator failover and rejoin) waits for the new assignment and
 * commits what this member still owns.
 */
import { TributaryError } from '@tributary/errors';
import type { ConsumerCore } from './consumer-core';
import { type CommitItem, commitOffsets } from './group-offsets';
import type { TopicPartitionOffset } from './types';

/** Commit failures that a rejoin fixes: retried once the next assignment has arrived. */
const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

/**
 * Commits `offsets` (each the next record to read), or every consumed position not committed
 * yet. Without a group this throws INVALID_GROUP_ID.
 */
export async function commitWithRejoin<K, V>(
  core: ConsumerCore<K, V>,
  offsets?: readonly TopicPartitionOffset[],
): Promise<void> {
  const groupId = core.options.groupId;
  if (groupId === undefined) {
    throw new TributaryError(
      'INVALID_GROUP_ID',
      'commit() needs a groupId: pass it to consumer({ groupId }).',
    );
  }
  const items: CommitItem[] = (
    offsets ??
    core.partitions
      .all()
      .filter((q) => q.consumed !== q.committed)
      .map((q) => ({ topic: q.topic, partition: q.partition, offset: q.consumed }))
  ).map((it) => {
    const epoch = core.partitions.get(it.topic, it.partition)?.leaderEpoch ?? -1;
    return epoch >= 0 ? { ...it, leaderEpoch: epoch } : { ...it };
  });
  if (items.length === 0) return;
  const member = () => ({
    memberId: core.session?.memberId ?? '',
    generationId: core.session?.generationId ?? -1,
  });
  try {
    await commitOffsets(core.cluster, groupId, member, items);
  } catch (err) {
    const session = core.session;
    if (
      session === undefined ||
      core.closed ||
      !(err instanceof TributaryError) ||
      !MEMBERSHIP_ERRORS.has(err.errorName)
    ) {
      throw err;
    }
    await session.nextAssignment(core.cluster.timeoutMs);
    const owned = items.filter((it) => core.partitions.get(it.topic, it.partition) !== undefined);
    if (owned.length > 0) await commitOffsets(core.cluster, groupId, member, owned);
  }
  for (const it of items) {
    const q = core.partitions.get(it.topic, it.partition);
    if (q !== undefined) q.committed = it.offset;
  }
}
