/**
 * The leader's half of replication (replication.proto): ReplicaFetch rounds and
 * OffsetForLeaderEpoch. A round's `fetch_offset` per partition is the follower's log end offset:
 * it is recorded first (which may advance the high watermark and complete acks=all produces, or
 * add the follower back to the ISR), then the leader reads from it — above the high watermark
 * too — and answers once min_bytes are ready or max_wait_ms passes, woken by appends.
 */
import { type ItemError, NotLeaderError, TributaryError, toItemError } from '@tributary/errors';
import {
  int64ToNumber,
  type OffsetForLeaderEpochRequest__Output,
  type OffsetForLeaderEpochResponse,
  type ProtoErrorCode__Output,
  type ReplicaFetchPartitionResponse,
  type ReplicaFetchRequest__Output,
  type ReplicaFetchResponse,
} from '@tributary/proto';
import { waitForChange } from '../replica/leader-replica';
import type { Partition } from '../replica/partition';
import type { ReplicaManager } from '../replica/replica-manager';

/** The error of one partition of a round; unexpected throws here come from the disk. */
function errorOf(err: unknown): ItemError<ProtoErrorCode__Output> {
  return toItemError(err, 'STORAGE_ERROR');
}

/** The partition this broker leads at `epoch`, of which `replicaId` is a replica. */
function leaderFor(
  rm: ReplicaManager,
  topic: string,
  partition: number,
  replicaId: number,
  epoch: number,
): Partition {
  const p = rm.leaderReplica(topic, partition, epoch);
  if (replicaId >= 0 && !p.replicas.includes(replicaId))
    throw new NotLeaderError(`broker ${replicaId} is not a replica of ${topic}/${partition}`, {
      leaderId: rm.brokerId,
    });
  return p;
}

/** Answers one round; resolves after at most max_wait_ms. */
export async function handleReplicaFetchRound(
  req: ReplicaFetchRequest__Output,
  rm: ReplicaManager,
): Promise<ReplicaFetchResponse> {
  const cfg = rm.config;
  const maxBytes = req.maxBytes > 0 ? req.maxBytes : cfg.replicaFetchResponseMaxBytes;
  const minBytes = Math.max(1, req.minBytes);
  const deadline = Date.now() + Math.min(Math.max(0, req.maxWaitMs), cfg.replicaFetchWaitMaxMs * 4);
  const items = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      offset: int64ToNumber(p.fetchOffset, 'fetch_offset'),
      epoch: int64ToNumber(p.currentLeaderEpoch, 'current_leader_epoch'),
      max: p.partitionMaxBytes > 0 ? p.partitionMaxBytes : cfg.replicaFetchMaxBytes,
    })),
  );
  // Record the follower's positions once per round.
  for (const it of items) {
    const p = rm.get(it.topic, it.partition);
    if (p?.isLeader && p.leaderEpoch === it.epoch && it.offset <= p.log.logEndOffset) {
      if (p.recordFollowerFetch(req.replicaId, it.offset)) rm.expandIsr(p, req.replicaId);
    }
  }
  for (;;) {
    let total = 0;
    let failed = false;
    const held: Partition[] = [];
    const topics = new Map<string, ReplicaFetchPartitionResponse[]>();
    for (const it of items) {
      let r: ReplicaFetchPartitionResponse;
      try {
        const p = leaderFor(rm, it.topic, it.partition, req.replicaId, it.epoch);
        held.push(p);
        const log = p.log;
        if (it.offset < log.logStartOffset || it.offset > log.logEndOffset) {
          throw new TributaryError(
            'OFFSET_OUT_OF_RANGE',
            `fetch offset ${it.offset} is outside [${log.logStartOffset}, ${log.logEndOffset}]`,
          );
        }
        const budget = total === 0 ? it.max : Math.min(it.max, maxBytes - total);
        const bytes = budget > 0 ? log.read(it.offset, budget) : Buffer.alloc(0);
        total += bytes.length;
        r = {
          partition: it.partition,
          highWatermark: log.highWatermark,
          logStartOffset: log.logStartOffset,
          recordBatches: bytes,
        };
      } catch (err) {
        failed = true;
        const p = rm.get(it.topic, it.partition);
        r = {
          partition: it.partition,
          highWatermark: p?.log.highWatermark ?? -1,
          logStartOffset: p?.log.logStartOffset ?? -1,
          ...errorOf(err),
        };
      }
      let list = topics.get(it.topic);
      if (list === undefined) {
        list = [];
        topics.set(it.topic, list);
      }
      list.push(r);
    }
    const left = deadline - Date.now();
    if (total >= minBytes || failed || left <= 0 || held.length === 0) {
      return { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) };
    }
    await waitForChange(held, left, undefined, 'append');
  }
}

export function handleOffsetForLeaderEpoch(
  req: OffsetForLeaderEpochRequest__Output,
  rm: ReplicaManager,
): OffsetForLeaderEpochResponse {
  return {
    topics: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((op) => {
        try {
          const current =
            op.currentLeaderEpoch === undefined
              ? -1
              : int64ToNumber(op.currentLeaderEpoch, 'current_leader_epoch');
          const p = rm.leaderReplica(t.topic, op.partition, current);
          const r = p.log.endOffsetForEpoch(int64ToNumber(op.leaderEpoch, 'leader_epoch'));
          return { partition: op.partition, leaderEpoch: r.epoch, endOffset: r.endOffset };
        } catch (err) {
          return { partition: op.partition, leaderEpoch: -1, endOffset: -1, ...errorOf(err) };
        }
      }),
    })),
  };
}
