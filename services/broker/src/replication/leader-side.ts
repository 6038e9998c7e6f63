/**
 * The leader's OffsetForLeaderEpoch (replication.proto; KIP-101/279): the end offset of a leader
 * epoch in this broker's log, for a follower about to truncate a diverged suffix. ReplicaFetch
 * rounds are fetch-session.ts.
 */
import { type ItemError, toItemError } from '@tributary/errors';
import {
  int64ToNumber,
  type OffsetForLeaderEpochRequest__Output,
  type OffsetForLeaderEpochResponse,
  type ProtoErrorCode__Output,
} from '@tributary/proto';
import type { ReplicaManager } from '../replica/replica-manager';

/** The error of one partition; unexpected throws here come from the disk. */
function errorOf(err: unknown): ItemError<ProtoErrorCode__Output> {
  return toItemError(err, 'STORAGE_ERROR');
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
