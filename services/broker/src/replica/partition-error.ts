/**
 * The error fields of one partition's result in a Produce, Fetch or ListOffsets answer: the
 * item error (an unexpected throw on these paths is the disk's, STORAGE_ERROR), plus for a
 * leadership error the leader per this broker's metadata (`current_leader`, KIP-951), so the
 * client can go there without a metadata round trip.
 */
import { type ItemError, type TributaryError, toTributaryError } from '@tributary/errors';
import type { ProtoErrorCode__Output } from '@tributary/proto';
import type { MetadataView } from './replica-manager';

/** Errors after which a client must find the partition's leader again (they get a hint). */
const LEADERSHIP: ReadonlySet<string> = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
]);

/** Whether the error is one that sends a client back to metadata for the leader. */
export function isLeadershipError(e: TributaryError): boolean {
  return LEADERSHIP.has(e.errorName);
}

export interface PartitionError extends ItemError<ProtoErrorCode__Output> {
  currentLeader?: { leaderId: number; leaderEpoch: number };
}

/** The item error of `topic`/`partition` for `err`, with a leader hint for leadership errors. */
export function partitionError(
  err: unknown,
  metadata: MetadataView,
  topic: string,
  partition: number,
): PartitionError {
  const e = toTributaryError(err, 'STORAGE_ERROR');
  const out: PartitionError = { errorCode: e.code as ProtoErrorCode__Output, errorMessage: e.message };
  if (isLeadershipError(e))
    out.currentLeader = metadata.leaderOf(topic, partition) ?? { leaderId: -1, leaderEpoch: -1 };
  return out;
}
