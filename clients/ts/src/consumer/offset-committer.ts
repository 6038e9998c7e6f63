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
 * yet. Without a group this throws INVALID_GROUP_ID. Commits go out one at a time in call order,
 * and the positions of a commit without `offsets` are read when it goes out, so a later commit
 * never carries an older position than one before it.
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
  const member = () => ({
    memberId: core.session?.memberId ?? '',
    generationId: core.session?.generationId ?? -1,
  });
  const commit = (ownedOnly: boolean) =>
    core.inCommitOrder(async () => {
      const items = itemsToCommit(core, offsets, ownedOnly);
      if (items.length === 0) return;
      await commitOffsets(core.cluster, groupId, member, items, core.session);
      for (const it of items) {
        const q = core.partitions.get(it.topic, it.partition);
        if (q !== undefined) q.committed = it.offset;
      }
    });
  try {
    await commit(false);
  } catch (err) {
    const session = core.session;
    if (session === undefined || !(err instanceof TributaryError) || !MEMBERSHIP_ERRORS.has(err.errorName)) {
      throw err;
    }
    // Also when disconnecting: the positions consumed so far are committed before leaving, or
    // the next owner reads them again. The wait is outside the queue: a revoke's own commit,
    // part of the rebalance this waits for, must not queue behind it.
    await session.nextAssignment(core.cluster.timeoutMs);
    await commit(true);
  }
}

/** The items of one commit: `offsets`, or the consumed positions not committed yet, read now. */
function itemsToCommit<K, V>(
  core: ConsumerCore<K, V>,
  offsets: readonly TopicPartitionOffset[] | undefined,
  ownedOnly: boolean,
): CommitItem[] {
  const chosen =
    offsets ??
    core.partitions
      .all()
      .filter((q) => q.consumed !== q.committed)
      .map((q) => ({ topic: q.topic, partition: q.partition, offset: q.consumed }));
  const items: CommitItem[] = [];
  for (const it of chosen) {
    const q = core.partitions.get(it.topic, it.partition);
    if (ownedOnly && q === undefined) continue;
    const epoch = q?.leaderEpoch ?? -1;
    items.push(epoch >= 0 ? { ...it, leaderEpoch: epoch } : { ...it });
  }
  return items;
}
