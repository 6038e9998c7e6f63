/**
 * Fetch (a long poll) and ListOffsets on the leader. A fetch answers once `min_bytes` of records
 * below the high watermark are ready across its partitions, a partition fails, or `max_wait_ms`
 * passes; it waits on the partitions' high-watermark notifications, never by polling.
 * `max_bytes` is soft: the first batch of the first partition with data goes whole.
 */
import { TributaryError } from '@tributary/errors';
import {
  type FetchRequest__Output,
  type FetchResponse,
  type FetchTopicResponse,
  int64ToNumber,
  type ListOffsetsRequest__Output,
  type ListOffsetsResponse,
} from '@tributary/proto';
import { type LeaderReplica, waitForChange } from '../replica/leader-replica';
import { partitionError } from '../replica/partition-error';
import type { DataPlaneConfig } from '../replica/settings';
import { type FetchDeps, readPartition } from './read-partition';

export async function handleFetch(
  req: FetchRequest__Output,
  deps: FetchDeps & { config: DataPlaneConfig },
): Promise<FetchResponse> {
  const records = req.recordFormat === 2;
  const minBytes = Math.max(1, req.minBytes);
  const maxBytes = req.maxBytes > 0 ? req.maxBytes : deps.config.fetchMaxBytes;
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const wanted = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      offset: int64ToNumber(p.fetchOffset, 'fetch_offset'),
      epoch:
        p.currentLeaderEpoch === undefined
          ? undefined
          : int64ToNumber(p.currentLeaderEpoch, 'current_leader_epoch'),
      max: p.partitionMaxBytes > 0 ? p.partitionMaxBytes : deps.config.fetchPartitionMaxBytes,
    })),
  );
  for (;;) {
    let remaining = maxBytes;
    let total = 0;
    let failed = false;
    const byTopic = new Map<string, FetchTopicResponse>();
    const held: LeaderReplica[] = [];
    for (const w of wanted) {
      const budget = total === 0 ? w.max : Math.min(w.max, remaining);
      const r = readPartition(deps, w.topic, w.partition, w.offset, w.epoch, budget, records);
      total += r.bytes;
      remaining -= r.bytes;
      failed ||= r.error;
      if (r.replica !== undefined) held.push(r.replica);
      let t = byTopic.get(w.topic);
      if (t === undefined) {
        t = { topic: w.topic, partitions: [] };
        byTopic.set(w.topic, t);
      }
      t.partitions!.push(r.response);
    }
    const left = deadline - Date.now();
    if (total >= minBytes || failed || left <= 0) return { topics: [...byTopic.values()] };
    await waitForChange(held, left);
  }
}

export function handleListOffsets(req: ListOffsetsRequest__Output, deps: FetchDeps): ListOffsetsResponse {
  return {
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((lp) => {
        try {
          const epoch =
            lp.currentLeaderEpoch === undefined
              ? undefined
              : int64ToNumber(lp.currentLeaderEpoch, 'current_leader_epoch');
          const p = deps.leaders.leaderReplica(t.topic, lp.partition, epoch);
          switch (lp.spec) {
            case 1:
              return {
                partition: lp.partition,
                offset: p.log.logStartOffset,
                timestampMs: -1,
                leaderEpoch: p.leaderEpoch,
              };
            case 2:
              return {
                partition: lp.partition,
                offset: p.log.highWatermark,
                timestampMs: -1,
                leaderEpoch: p.leaderEpoch,
              };
            case 3: {
              const ts = int64ToNumber(lp.timestampMs, 'timestamp_ms');
              const found = p.log.offsetForTimestamp(ts);
              if (found === undefined || found >= p.log.highWatermark)
                return { partition: lp.partition, offset: -1, timestampMs: -1, leaderEpoch: -1 };
              return { partition: lp.partition, offset: found, timestampMs: ts, leaderEpoch: p.leaderEpoch };
            }
            default:
              throw new TributaryError('INVALID_REQUEST', 'spec must be EARLIEST, LATEST or TIMESTAMP');
          }
        } catch (err) {
          return {
            partition: lp.partition,
            offset: -1,
            timestampMs: -1,
            leaderEpoch: -1,
            ...partitionError(err, deps.metadata, t.topic, lp.partition),
          };
        }
      }),
    })),
  };
}
