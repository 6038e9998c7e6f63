/**
 * Committed offsets of a group: committing positions (CommitOffsets, with the member id and the
 * generation read at each attempt, so a retry after REBALANCE_IN_PROGRESS carries the new one)
 * and choosing where newly assigned partitions start (FetchOffsets, else autoOffsetReset through
 * ListOffsets).
 */
import { TributaryError } from '@tributary/errors';
import {
  type CommitOffsetsResponse__Output,
  type CommitOffsetsTopic,
  type FetchOffsetsResponse__Output,
  int64ToNumber,
} from '@tributary/proto';
import { listOffsets } from '../admin/list-offsets';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';
import { byTopic } from './by-topic';
import { tpKey } from './partition-set';
import type { AutoOffsetReset, TopicPartition, TopicPartitionOffset } from './types';

/** A position to commit, with the leader epoch of the last consumed record when known. */
export interface CommitItem extends TopicPartitionOffset {
  leaderEpoch?: number;
}

/** Where a member's commits can travel besides CommitOffsets: its GroupSession (group-session.ts). */
export interface SessionCommits {
  commit(
    generationId: number,
    topics: CommitOffsetsTopic[],
  ): Promise<CommitOffsetsResponse__Output | undefined>;
}

/** Refusals on the session that CommitOffsets retries (after finding the coordinator again). */
const RETRY_AS_CALL = new Set([
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
]);

/**
 * Commits positions for `groupId`; throws the first partition's error. With a `session`, the
 * commit goes on the member's GroupSession stream; when the session cannot answer (not joined,
 * the stream ended first, or the coordinator moved), it goes again as a CommitOffsets call.
 */
export async function commitOffsets(
  cluster: Cluster,
  groupId: string,
  member: () => { memberId: string; generationId: number },
  items: readonly CommitItem[],
  session?: SessionCommits,
): Promise<void> {
  const topics = [...byTopic(items)].map(([topic, ps]) => ({
    topic,
    partitions: ps.map((p) => ({
      partition: p.partition,
      offset: p.offset,
      metadata: '',
      ...(p.leaderEpoch === undefined ? {} : { leaderEpoch: p.leaderEpoch }),
    })),
  }));
  const onSession = await session?.commit(member().generationId, topics).catch((err: unknown) => {
    if (err instanceof TributaryError && RETRY_AS_CALL.has(err.errorName)) return undefined;
    throw err;
  });
  const res =
    onSession ??
    (await cluster.group(groupId, (c, deadline) =>
      promisify<CommitOffsetsResponse__Output>((cb) =>
        c.CommitOffsets({ groupId, ...member(), topics }, { deadline }, cb),
      ),
    ));
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) {
        throw itemError(p.errorCode, p.errorMessage, {
          group: groupId,
          topic: t.topic,
          partition: p.partition,
        });
      }
    }
  }
}

/**
 * Where each partition starts: the group's committed offset (recorded in `committed`), else
 * the earliest or latest offset per `reset`.
 */
export async function startPositions(
  cluster: Cluster,
  groupId: string | undefined,
  reset: AutoOffsetReset,
  partitions: readonly TopicPartition[],
  committed = new Map<string, number>(),
): Promise<TopicPartitionOffset[]> {
  if (partitions.length === 0) return [];
  if (groupId !== undefined) {
    const topics = [...byTopic(partitions)].map(([topic, ps]) => ({
      topic,
      partitions: ps.map((p) => p.partition),
    }));
    const res = await cluster.group(groupId, (c, deadline) =>
      promisify<FetchOffsetsResponse__Output>((cb) => c.FetchOffsets({ groupId, topics }, { deadline }, cb)),
    );
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const offset = p.errorCode === 0 ? int64ToNumber(p.offset, 'offset') : -1;
        if (offset >= 0) committed.set(tpKey(t.topic, p.partition), offset);
      }
    }
  }
  const out: TopicPartitionOffset[] = [];
  const missing: TopicPartition[] = [];
  for (const p of partitions) {
    const c = committed.get(tpKey(p.topic, p.partition));
    if (c !== undefined) out.push({ topic: p.topic, partition: p.partition, offset: c });
    else missing.push(p);
  }
  if (missing.length > 0 && reset === 'none') {
    const m = missing[0]!;
    throw new TributaryError(
      'OFFSET_OUT_OF_RANGE',
      `No committed offset for ${m.topic}-${m.partition} and autoOffsetReset is "none": seek() or commit a position first.`,
      { context: { topic: m.topic, partition: m.partition } },
    );
  }
  for (const [topic, ps] of byTopic(missing)) {
    const partitionsOfTopic = ps.map((p) => p.partition);
    const offsets = await listOffsets(cluster, topic, partitionsOfTopic, {
      spec: reset === 'earliest' ? 'earliest' : 'latest',
    });
    for (const partition of partitionsOfTopic)
      out.push({ topic, partition, offset: offsets.get(partition) ?? 0 });
  }
  return out;
}
