/**
 * Batch-level checks that never decode records: framing (`batchSizeAt`, `batchesIn`), the
 * header, the CRC and the broker's pre-append validation. This is the broker's hot path, so
 * each function reads fixed offsets and, at most, runs one CRC-32C over a subarray.
 */
import { crc32c } from '@node-rs/crc32';
import { CorruptMessageError } from '@tributary/errors';
import { readSafeInt64 } from './int64';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH_OFFSET,
  type BatchHeader,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CompressionType,
  CRC_OFFSET,
  FIRST_TIMESTAMP_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  MIN_RECORD_SIZE,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_MAGIC,
  RECORD_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_MASK,
} from './layout';

function checkPosition(buf: Buffer, position: number): void {
  if (!Number.isInteger(position) || position < 0 || position > buf.length) {
    throw new RangeError(`position ${position} is outside the buffer (length ${buf.length})`);
  }
}

/**
 * LOG_OVERHEAD + batchLength of the batch at position, or -1 when fewer than LOG_OVERHEAD bytes
 * remain. Throws CorruptMessageError when batchLength is smaller than an empty batch's header
 * (a size that small can only be damage, and following it would misframe everything after).
 */
export function batchSizeAt(buf: Buffer, position: number): number {
  checkPosition(buf, position);
  if (buf.length - position < LOG_OVERHEAD) return -1;
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptMessageError(
      `Batch at position ${position}: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}.`,
      { context: { position } },
    );
  }
  return LOG_OVERHEAD + batchLength;
}

/**
 * The checks that make the bytes at `position` a batch at all: a whole header, magic 2 and a
 * batchLength of at least an empty batch's. Returns batchLength.
 */
function checkFrame(buf: Buffer, position: number): number {
  checkPosition(buf, position);
  const available = buf.length - position;
  if (available < BATCH_HEADER_SIZE) {
    throw new CorruptMessageError(
      `Batch at position ${position}: only ${available} bytes, a header needs ${BATCH_HEADER_SIZE}.`,
      { context: { position } },
    );
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new CorruptMessageError(
      `Batch at position ${position}: magic ${magic}, expected ${RECORD_BATCH_MAGIC}.`,
      {
        context: { position },
      },
    );
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptMessageError(
      `Batch at position ${position}: batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}.`,
      { context: { position } },
    );
  }
  return batchLength;
}

/** The compression id of `attributes`; throws CorruptMessageError for an unknown one (5-7). */
export function compressionOf(position: number, attributes: number): CompressionType {
  const compression = attributes & COMPRESSION_MASK;
  if (compression > CompressionType.Zstd) {
    throw new CorruptMessageError(`Batch at position ${position}: unknown compression id ${compression}.`, {
      context: { position },
    });
  }
  return compression;
}

/** recordCount of the batch at `position`; throws CorruptMessageError when negative. */
export function recordCountOf(buf: Buffer, position: number): number {
  const recordCount = buf.readInt32BE(position + RECORD_COUNT_OFFSET);
  if (recordCount < 0) {
    throw new CorruptMessageError(`Batch at position ${position}: negative recordCount ${recordCount}.`, {
      context: { position },
    });
  }
  return recordCount;
}

/** Parses the header fields of a framed batch. */
function parseHeader(buf: Buffer, position: number, batchLength: number): BatchHeader {
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  const compression = compressionOf(position, attributes);
  const recordCount = recordCountOf(buf, position);
  return {
    baseOffset: readSafeInt64(buf, position + BASE_OFFSET_OFFSET, 'baseOffset'),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_OFFSET),
    magic: RECORD_BATCH_MAGIC,
    crc: buf.readUInt32BE(position + CRC_OFFSET),
    attributes,
    compression,
    timestampType: attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
    isControl: (attributes & CONTROL_MASK) !== 0,
    lastOffsetDelta: buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET),
    firstTimestamp: readSafeInt64(buf, position + FIRST_TIMESTAMP_OFFSET, 'firstTimestamp'),
    maxTimestamp: readSafeInt64(buf, position + MAX_TIMESTAMP_OFFSET, 'maxTimestamp'),
    producerId: readSafeInt64(buf, position + PRODUCER_ID_OFFSET, 'producerId'),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_OFFSET),
    recordCount,
  };
}

/**
 * Header only, no CRC check; throws CorruptMessageError if fewer than BATCH_HEADER_SIZE bytes,
 * magic != 2, batchLength below an empty batch's, an unknown compression id (5-7), a negative
 * recordCount or an int64 field that is not a safe integer.
 */
export function readBatchHeader(buf: Buffer, position = 0): BatchHeader {
  return parseHeader(buf, position, checkFrame(buf, position));
}

/**
 * CRC-32C of attributes..end of the batch at `position`, whose whole batch must be in `buf`.
 * The range goes to the native CRC as a plain Uint8Array view, not a Buffer `subarray`: the
 * subarray's FastBuffer construction and the addon's handling of a Buffer argument cost about
 * 150 ns a call more (352 against 205 ns for a 175-byte batch, Node 20), and a consumer at
 * 10,000 partitions checks one such batch per keyed record (docs/scale.md, eighth round).
 */
export function computeBatchCrc(buf: Buffer, position: number, size: number): number {
  return crc32c(
    new Uint8Array(buf.buffer, buf.byteOffset + position + ATTRIBUTES_OFFSET, size - ATTRIBUTES_OFFSET),
  );
}

/**
 * True when the stored CRC matches CRC-32C of attributes..end. False too when the batch is not
 * all there (fewer bytes than its batchLength claims); throws only for a header too damaged to
 * frame it (see {@link batchSizeAt}).
 */
export function verifyBatchCrc(buf: Buffer, position = 0): boolean {
  const size = batchSizeAt(buf, position);
  if (size < 0 || position + size > buf.length) return false;
  return buf.readUInt32BE(position + CRC_OFFSET) === computeBatchCrc(buf, position, size);
}

/**
 * The header of a batch that is whole and intact: framing first, then presence of all
 * LOG_OVERHEAD + batchLength bytes, then the CRC, and only then the fields (so damage is
 * reported as a CRC mismatch, not as whatever field it happened to hit). Shared by validation,
 * decoding and stamping.
 */
export function readVerifiedHeader(buf: Buffer, position: number): BatchHeader {
  return parseHeader(buf, position, verifyWholeBatch(buf, position));
}

/**
 * The checks of {@link readVerifiedHeader} before its fields (framing, every byte present, the
 * CRC), for a reader that takes the few fields it needs itself; returns batchLength. The fields
 * are still to be checked as `parseHeader` does (compression id, recordCount, safe int64s).
 */
export function verifyWholeBatch(buf: Buffer, position: number): number {
  const batchLength = checkFrame(buf, position);
  const size = LOG_OVERHEAD + batchLength;
  if (position + size > buf.length) {
    throw new CorruptMessageError(
      `Batch at position ${position}: batchLength says ${size} bytes, only ${buf.length - position} are present.`,
      { context: { position } },
    );
  }
  const stored = buf.readUInt32BE(position + CRC_OFFSET);
  const actual = computeBatchCrc(buf, position, size);
  if (actual !== stored) {
    throw new CorruptMessageError(
      `Batch at position ${position}: CRC mismatch (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)}).`,
      { context: { position } },
    );
  }
  return batchLength;
}

/**
 * The broker's check before append, with no per-record decode: whole batch present, magic 2,
 * CRC ok, recordCount >= 1 and lastOffsetDelta == recordCount-1, batchLength sane (at least a
 * header, and for an uncompressed batch room for recordCount records). Throws
 * CorruptMessageError naming the problem. It does not judge the codec: a snappy batch passes
 * here and is refused (UNSUPPORTED_COMPRESSION_TYPE) only by whoever decodes it.
 */
export function validateBatch(buf: Buffer, position = 0): BatchHeader {
  const header = readVerifiedHeader(buf, position);
  const { recordCount, lastOffsetDelta } = header;
  if (recordCount < 1) {
    throw new CorruptMessageError(`Batch at position ${position}: it holds no records.`, {
      context: { position },
    });
  }
  if (lastOffsetDelta !== recordCount - 1) {
    throw new CorruptMessageError(
      `Batch at position ${position}: lastOffsetDelta ${lastOffsetDelta} does not match recordCount ${recordCount} (expected ${recordCount - 1}).`,
      { context: { position } },
    );
  }
  if (!Number.isSafeInteger(header.baseOffset + lastOffsetDelta)) {
    throw new CorruptMessageError(`Batch at position ${position}: its last offset is not a safe integer.`, {
      context: { position },
    });
  }
  const recordsLength = header.batchLength - (BATCH_HEADER_SIZE - LOG_OVERHEAD);
  if (header.compression === CompressionType.None && recordCount > recordsLength / MIN_RECORD_SIZE) {
    throw new CorruptMessageError(
      `Batch at position ${position}: recordCount ${recordCount} cannot fit in ${recordsLength} bytes of records.`,
      { context: { position } },
    );
  }
  return header;
}

/**
 * The size of the whole batch at `position` (LOG_OVERHEAD + batchLength), checked only as far
 * as framing needs: a batchLength of at least an empty batch's header, magic 2, every byte of
 * the batch present. No header object and no CRC: for walking fetched bytes whose batches are
 * decoded, and so CRC-checked, before any record is handed out (the consumer's fetcher); the
 * `peek*` functions read the few fields such a walk needs. Throws CorruptMessageError for what
 * {@link batchesIn} throws for, bar the header fields the decode checks.
 */
export function frameBatchAt(buf: Buffer, position: number): number {
  const size = batchSizeAt(buf, position);
  const remaining = buf.length - position;
  if (size < 0 || size > remaining) {
    throw new CorruptMessageError(
      `Partial batch at position ${position}: ${remaining} bytes left, the batch needs ${size < 0 ? 'at least 12' : size}.`,
      { context: { position } },
    );
  }
  const magic = buf.readInt8(position + MAGIC_OFFSET);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new CorruptMessageError(
      `Batch at position ${position}: magic ${magic}, expected ${RECORD_BATCH_MAGIC}.`,
      { context: { position } },
    );
  }
  return size;
}

/**
 * Walks consecutive whole batches in a buffer (e.g. a produce request's bytes holding several
 * batches); throws CorruptMessageError on a partial or malformed one. It checks framing and
 * headers only, not CRCs: run {@link validateBatch} or decode each batch for that.
 *
 * With `allowPartialTail`, a final batch cut short (as Kafka brokers return when a fetch's byte
 * limit falls mid-batch) ends the walk instead of throwing.
 */
export function* batchesIn(
  buf: Buffer,
  options: { allowPartialTail?: boolean } = {},
): Generator<{ position: number; size: number; header: BatchHeader }> {
  let position = 0;
  while (position < buf.length) {
    const remaining = buf.length - position;
    const size = batchSizeAt(buf, position);
    if (size < 0 || size > remaining) {
      if (options.allowPartialTail === true) return;
      throw new CorruptMessageError(
        `Partial batch at position ${position}: ${remaining} bytes left, the batch needs ${size < 0 ? 'at least 12' : size}.`,
        { context: { position } },
      );
    }
    const header = readBatchHeader(buf, position);
    yield { position, size, header };
    position += size;
  }
}
