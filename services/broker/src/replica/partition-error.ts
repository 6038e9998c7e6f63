/**
 * The error fields of one partition's result in a Produce, Fetch or ListOffsets answer: the
 * item error (an unexpected throw on these paths is the disk's, STORAGE_ERROR), plus for an
 * error the error table marks `refreshMetadata` the leader per this broker's metadata
 * (`current_leader`, KIP-951), so the client can go there without a metadata round trip.
 */
import { type ItemError, toTributaryError } from '@tributary/errors';
import type { ProtoErrorCode__Output } from '@tributary/proto';
import type { MetadataView } from './replica-manager';

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
  if (e.refreshMetadata)
    out.currentLeader = metadata.leaderOf(topic, partition) ?? { leaderId: -1, leaderEpoch: -1 };
  return out;
}
