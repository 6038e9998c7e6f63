/**
 * Header peeks: the three or four numbers a log needs to walk stored batches (where the next one
 * starts, its offsets, its max timestamp), read straight from their layout positions without
 * building a header object or checking anything. For bytes already validated once (a segment
 * file the broker wrote, a recovery scan after `validateBatch`), or for framing fetched bytes that
 * are decoded, CRC first, before any record is used (`frameBatchAt`, the consumer's fetcher);
 * anything else untrusted goes through `readBatchHeader` / `validateBatch`.
 */
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  RECORD_COUNT_OFFSET,
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

/** partitionLeaderEpoch of the batch at `at`. */
export function peekLeaderEpoch(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + PARTITION_LEADER_EPOCH_OFFSET);
}

/** True for a control batch (a transaction marker), whose records are not the application's. */
export function peekIsControl(buf: Buffer, at: number): boolean {
  return (buf.readInt16BE(at + ATTRIBUTES_OFFSET) & CONTROL_MASK) !== 0;
}

/** recordCount of the batch at `at`. */
export function peekRecordCount(buf: Buffer, at: number): number {
  return buf.readInt32BE(at + RECORD_COUNT_OFFSET);
}
