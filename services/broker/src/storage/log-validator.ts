/**
 * Checks an incoming buffer of record batches before anything is written (Kafka's
 * `LogValidator`), and assigns offsets on the leader path.
 *
 * Leader path: every batch must be whole, at most `max.message.bytes` (log overhead included),
 * and pass `validateBatch` (magic, CRC, counts). Only when all pass are offsets assigned densely
 * from the log end offset and stamped in place with the leader epoch (the CRC does not cover
 * them), plus LogAppendTime if the topic uses it (that one rewrites the CRC). The bytes are then
 * written exactly as they are: no copy, no per-record decode.
 *
 * Follower path: batches already carry the leader's offsets and epochs; they must continue the
 * log exactly (first base offset = log end offset, then dense).
 */
import { CorruptMessageError, MessageTooLargeError, TributaryError } from '@tributary/errors';
import {
  type BatchHeader,
  batchSizeAt,
  stampBatch,
  stampLogAppendTime,
  validateBatch,
} from '@tributary/record-batch';
import type { AppendedBatch } from './segment';

export interface ValidatedBatches {
  readonly headers: readonly BatchHeader[];
  readonly positions: readonly number[];
  readonly sizes: readonly number[];
  readonly recordCount: number;
}

/** A follower batch does not continue the log where it ends. */
export class UnexpectedAppendOffsetError extends TributaryError {
  readonly expectedOffset: number;
  readonly firstOffset: number;
  constructor(expectedOffset: number, firstOffset: number) {
    super(
      'INVALID_RECORD',
      `batch starts at offset ${firstOffset}, but the log continues at ${expectedOffset}`,
      {
        context: { expectedOffset, firstOffset },
      },
    );
    this.name = 'UnexpectedAppendOffsetError';
    this.expectedOffset = expectedOffset;
    this.firstOffset = firstOffset;
  }
}

/**
 * Validates every batch of `buf` (whole, size limit, CRC, counts) without changing anything.
 * `fromProducer`: the leader path, where a control batch is refused: control batches are
 * transaction markers a broker writes, and Tributary has no transactions, so a producer sending
 * one is sending something no consumer should see (the followers' path takes what the leader has).
 */
export function validateBatches(
  buf: Buffer,
  maxMessageBytes: number,
  fromProducer = false,
): ValidatedBatches {
  if (buf.length === 0) throw new CorruptMessageError('no record batch to append');
  const headers: BatchHeader[] = [];
  const positions: number[] = [];
  const sizes: number[] = [];
  let recordCount = 0;
  for (let pos = 0; pos < buf.length; ) {
    const size = batchSizeAt(buf, pos);
    if (size < 0 || pos + size > buf.length) {
      throw new CorruptMessageError(`truncated record batch at byte ${pos} of ${buf.length}`);
    }
    if (size > maxMessageBytes) throw new MessageTooLargeError(size, maxMessageBytes);
    const header = validateBatch(buf, pos);
    if (fromProducer && header.isControl)
      throw new TributaryError(
        'INVALID_RECORD',
        `control batch at byte ${pos}: control batches (transaction markers) are written by brokers, not producers`,
      );
    headers.push(header);
    positions.push(pos);
    sizes.push(size);
    recordCount += header.recordCount;
    pos += size;
  }
  return { headers, positions, sizes, recordCount };
}

/**
 * Leader path, after `validateBatches`: stamps base offsets from `nextOffset`, the leader epoch,
 * and LogAppendTime when `logAppendTime` is given. Returns what the segment indexes need.
 */
export function assignOffsets(
  buf: Buffer,
  validated: ValidatedBatches,
  nextOffset: number,
  leaderEpoch: number,
  logAppendTime: number | undefined,
): AppendedBatch[] {
  const out: AppendedBatch[] = [];
  let offset = nextOffset;
  for (let i = 0; i < validated.headers.length; i++) {
    const header = validated.headers[i]!;
    const position = validated.positions[i]!;
    stampBatch(buf, position, offset, leaderEpoch, header);
    if (logAppendTime !== undefined) stampLogAppendTime(buf, position, logAppendTime);
    const lastOffset = offset + header.lastOffsetDelta;
    const maxTimestamp = logAppendTime ?? header.maxTimestamp;
    out.push({ position, size: validated.sizes[i]!, baseOffset: offset, lastOffset, maxTimestamp });
    offset = lastOffset + 1;
  }
  return out;
}

/** Follower path, after `validateBatches`: offsets must continue the log at `logEndOffset`, densely. */
export function checkFollowerOffsets(validated: ValidatedBatches, logEndOffset: number): AppendedBatch[] {
  const out: AppendedBatch[] = [];
  let expected = logEndOffset;
  for (let i = 0; i < validated.headers.length; i++) {
    const header = validated.headers[i]!;
    if (header.baseOffset !== expected) throw new UnexpectedAppendOffsetError(expected, header.baseOffset);
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    out.push({
      position: validated.positions[i]!,
      size: validated.sizes[i]!,
      baseOffset: header.baseOffset,
      lastOffset,
      maxTimestamp: header.maxTimestamp,
    });
    expected = lastOffset + 1;
  }
  return out;
}
