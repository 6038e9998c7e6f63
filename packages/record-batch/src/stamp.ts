/**
 * In-place edits the broker makes to a validated batch before appending it, without
 * re-encoding: Kafka's `DefaultRecordBatch.setLastOffset`/`setPartitionLeaderEpoch` and
 * `setMaxTimestamp`.
 */
import { TributaryError } from '@tributary/errors';
import { computeBatchCrc, readBatchHeader, readVerifiedHeader } from './header';
import { writeInt64 } from './int64';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  type BatchHeader,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  TIMESTAMP_TYPE_MASK,
} from './layout';

function invalidArgument(name: string, value: number, expected: string): TributaryError {
  return new TributaryError('INVALID_REQUEST', `${name} ${value} is invalid; expected ${expected}.`);
}

/**
 * Writes baseOffset and partitionLeaderEpoch in place (outside the CRC, so the CRC stays valid).
 * Checks the header is a magic-2 batch header first (CorruptMessageError if not), so a wrong
 * position cannot scribble over unrelated bytes; a caller that holds the header `validateBatch`
 * just returned for this position passes it as `validated` and the header is not parsed again
 * (a second parse costs about 7% of a 16 KiB append on the broker's hot path).
 */
export function stampBatch(
  buf: Buffer,
  position: number,
  baseOffset: number,
  partitionLeaderEpoch: number,
  validated?: Pick<BatchHeader, 'lastOffsetDelta'>,
): void {
  const header = validated ?? readBatchHeader(buf, position);
  if (
    !Number.isSafeInteger(baseOffset) ||
    baseOffset < 0 ||
    baseOffset + header.lastOffsetDelta > Number.MAX_SAFE_INTEGER
  ) {
    throw invalidArgument('baseOffset', baseOffset, 'a non-negative safe integer');
  }
  if (
    !Number.isInteger(partitionLeaderEpoch) ||
    partitionLeaderEpoch < -1 ||
    partitionLeaderEpoch > 0x7fffffff
  ) {
    throw invalidArgument('partitionLeaderEpoch', partitionLeaderEpoch, 'an int32 >= -1');
  }
  writeInt64(buf, position + BASE_OFFSET_OFFSET, baseOffset);
  buf.writeInt32BE(partitionLeaderEpoch, position + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Sets the LogAppendTime bit and maxTimestamp in place and recomputes the CRC. The stored CRC is
 * verified first (CorruptMessageError if it does not match), so stamping can never turn a
 * damaged batch into one that looks intact.
 */
export function stampLogAppendTime(buf: Buffer, position: number, timestamp: number): void {
  if (!Number.isSafeInteger(timestamp)) throw invalidArgument('timestamp', timestamp, 'a safe integer');
  const header = readVerifiedHeader(buf, position);
  buf.writeInt16BE(header.attributes | TIMESTAMP_TYPE_MASK, position + ATTRIBUTES_OFFSET);
  writeInt64(buf, position + MAX_TIMESTAMP_OFFSET, timestamp);
  buf.writeUInt32BE(computeBatchCrc(buf, position, LOG_OVERHEAD + header.batchLength), position + CRC_OFFSET);
}
