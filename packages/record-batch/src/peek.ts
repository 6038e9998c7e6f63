/**
 * Header peeks: the three or four numbers a log needs to walk stored batches (where the next one
 * starts, its offsets, its max timestamp), read straight from their layout positions without
 * building a header object or checking anything. For bytes already validated once (a segment
 * file the broker wrote, a recovery scan after `validateBatch`); anything untrusted goes through
 * `readBatchHeader` / `validateBatch`.
 */
import {
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
} from './layout';

const TWO_POW_32 = 0x100000000;

/** Bytes from a batch's start that the peeks read: up to and including maxTimestamp. */
export const HEADER_PEEK_SIZE = MAX_TIMESTAMP_OFFSET + 8;

function peekInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_POW_32 + buf.readUInt32BE(at + 4);
}

/** baseOffset of the batch at `at`. */
export function peekBaseOffset(buf: Buffer, at: number): number {
  return peekInt64(buf, at + BASE_OFFSET_OFFSET);
}

/** The whole batch's size in bytes: LOG_OVERHEAD + batchLength. */
export function peekBatchSize(buf: Buffer, at: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
}

/** baseOffset + lastOffsetDelta: the offset of the batch's last record. */
export function peekLastOffset(buf: Buffer, at: number): number {
  return peekBaseOffset(buf, at) + buf.readInt32BE(at + LAST_OFFSET_DELTA_OFFSET);
}

/** maxTimestamp of the batch at `at`. */
export function peekMaxTimestamp(buf: Buffer, at: number): number {
  return peekInt64(buf, at + MAX_TIMESTAMP_OFFSET);
}
