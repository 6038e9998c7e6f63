/**
 * What the two encoders share (`encodeRecordBatch`, which sizes every record before it writes,
 * and `RecordBatchBuilder`, which writes each record as it is appended): the checks and size of
 * one record, its bytes, and the batch header with its CRC. One record writer and one header
 * writer, so the two cannot drift apart (builder.test.ts compares their bytes).
 */
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '@tributary/errors';
import { writeInt64 } from './int64';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_MASK,
  CompressionType,
  CRC_OFFSET,
  type EncodeOptions,
  FIRST_TIMESTAMP_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_MAGIC,
  RECORD_COUNT_OFFSET,
  type RecordInput,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './layout';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

export const INT32_MAX = 0x7fffffff;

// Scratch for header key byte lengths, from `recordBodySize` to `writeRecord` of the same
// records: encoding is synchronous, so no two calls interleave. Grown on demand, never shrunk.
let headerKeySizes = new Int32Array(1024);

export function invalidOption(name: string, value: unknown, expected: string): TributaryError {
  return new TributaryError(
    'INVALID_REQUEST',
    `EncodeOptions.${name} is ${String(value)}; expected ${expected}.`,
    { context: { option: name } },
  );
}

export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidOption(name, value, `an integer in [${min}, ${max}]`);
  }
  return value;
}

function invalidRecord(index: number, problem: string): TributaryError {
  return new TributaryError('INVALID_RECORD', `Record ${index}: ${problem}.`, { context: { record: index } });
}

function bytesLength(index: number, field: string, bytes: Buffer | null | undefined): number {
  if (bytes === null || bytes === undefined) return -1;
  if (!(bytes instanceof Uint8Array)) throw invalidRecord(index, `${field} is not a Buffer or null`);
  return bytes.length;
}

/** A record's timestamp, checked to be a safe integer. */
export function checkTimestamp(timestamp: number, index: number): number {
  if (!Number.isSafeInteger(timestamp)) {
    throw new TributaryError(
      'INVALID_TIMESTAMP',
      `Record ${index}: timestamp ${timestamp} is not a safe integer.`,
      { context: { record: index } },
    );
  }
  return timestamp;
}

/** The timestamp delta of record `index`, checked to be representable. */
export function checkTimestampDelta(timestamp: number, firstTimestamp: number, index: number): number {
  const delta = timestamp - firstTimestamp;
  if (!Number.isSafeInteger(delta)) {
    throw new TributaryError(
      'INVALID_TIMESTAMP',
      `Record ${index}: timestamp ${timestamp} is too far from ${firstTimestamp}.`,
    );
  }
  return delta;
}

/**
 * Validates record `index` and returns its body size (what its length varint says). Its header
 * keys' UTF-8 byte lengths go to the scratch from `headerAt` on, for `writeRecord`.
 */
export function recordBodySize(
  record: RecordInput,
  index: number,
  offsetDelta: number,
  timestampDelta: number,
  headerAt: number,
): number {
  const keyLength = bytesLength(index, 'key', record.key);
  const valueLength = bytesLength(index, 'value', record.value);
  let body =
    1 + // attributes
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfVarint(keyLength) +
    Math.max(keyLength, 0) +
    sizeOfVarint(valueLength) +
    Math.max(valueLength, 0);
  const headers = record.headers;
  const headerCount = headers ? headers.length : 0;
  body += sizeOfVarint(headerCount);
  if (headerCount > 0) {
    if (headerKeySizes.length < headerAt + headerCount) {
      const grown = new Int32Array(Math.max(headerAt + headerCount, headerKeySizes.length * 2));
      grown.set(headerKeySizes.subarray(0, headerAt));
      headerKeySizes = grown;
    }
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      if (typeof header?.key !== 'string') throw invalidRecord(index, `header ${h} has no string key`);
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      headerKeySizes[headerAt + h] = keyBytes;
      const headerValueLength = bytesLength(index, `header ${h} value`, header.value);
      body +=
        sizeOfVarint(keyBytes) + keyBytes + sizeOfVarint(headerValueLength) + Math.max(headerValueLength, 0);
    }
  }
  if (body > INT32_MAX - 5) throw invalidRecord(index, `it is ${body} bytes`);
  return body;
}

/**
 * Writes one record sized by `recordBodySize` (same deltas, same `headerAt`) at `pos`; returns
 * the position after it. `out` has room for `sizeOfVarint(body) + body` bytes.
 */
export function writeRecord(
  out: Buffer,
  pos: number,
  record: RecordInput,
  body: number,
  offsetDelta: number,
  timestampDelta: number,
  headerAt: number,
): number {
  pos = writeVarint(out, pos, body);
  out[pos++] = 0; // record attributes: unused
  pos = writeVarlong(out, pos, timestampDelta);
  pos = writeVarint(out, pos, offsetDelta);
  pos = writeBytes(out, pos, record.key);
  pos = writeBytes(out, pos, record.value);
  const headers = record.headers;
  const headerCount = headers ? headers.length : 0;
  pos = writeVarint(out, pos, headerCount);
  for (let h = 0; h < headerCount; h++) {
    const header = headers![h]!;
    const keyBytes = headerKeySizes[headerAt + h]!;
    pos = writeVarint(out, pos, keyBytes);
    if (keyBytes > 0) pos += out.write(header.key, pos, keyBytes, 'utf8');
    pos = writeBytes(out, pos, header.value);
  }
  return pos;
}

/** Writes a varint length (-1 for null) and the bytes. */
function writeBytes(out: Buffer, pos: number, bytes: Buffer | null | undefined): number {
  if (bytes === null || bytes === undefined) return writeVarint(out, pos, -1);
  pos = writeVarint(out, pos, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}

/** The producer's fields of a batch header, checked (defaults as `EncodeOptions` documents). */
export interface ProducerFields {
  baseOffset: number;
  partitionLeaderEpoch: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Attributes bits other than compression and timestamp type (transactional, control). */
  flags: number;
}

/** Checks the header options of `EncodeOptions` and fills in their defaults. */
export function producerFields(options: EncodeOptions): ProducerFields {
  let flags = 0;
  if (options.isTransactional === true) flags |= TRANSACTIONAL_MASK;
  if (options.isControl === true) flags |= CONTROL_MASK;
  return {
    baseOffset: checkInt('baseOffset', options.baseOffset ?? 0, 0, Number.MAX_SAFE_INTEGER),
    partitionLeaderEpoch: checkInt('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, -1, INT32_MAX),
    producerId: checkInt('producerId', options.producerId ?? -1, -1, Number.MAX_SAFE_INTEGER),
    producerEpoch: checkInt('producerEpoch', options.producerEpoch ?? -1, -1, 0x7fff),
    baseSequence: checkInt('baseSequence', options.baseSequence ?? -1, -1, INT32_MAX),
    flags,
  };
}

/** Checks that offsets baseOffset .. baseOffset + count - 1 are all safe integers. */
export function checkOffsetRoom(baseOffset: number, count: number): void {
  if (baseOffset + count - 1 > Number.MAX_SAFE_INTEGER)
    throw invalidOption('baseOffset', baseOffset, 'room for the records');
}

/** The compression option, checked. */
export function compressionOption(options: EncodeOptions): CompressionType {
  const compression = options.compression ?? CompressionType.None;
  if (!(compression in CompressionType) || typeof compression !== 'number') {
    throw invalidOption('compression', compression, 'a CompressionType');
  }
  return compression;
}

/**
 * Writes the whole batch header into `batch` (its records already in place after it, as many as
 * `count`) and then the CRC over attributes..end.
 */
export function writeBatchHeader(
  batch: Buffer,
  fields: ProducerFields,
  compression: CompressionType,
  logAppendTime: boolean,
  count: number,
  firstTimestamp: number,
  maxTimestamp: number,
): void {
  let attributes = compression | fields.flags;
  if (logAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  writeInt64(batch, BASE_OFFSET_OFFSET, fields.baseOffset);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(fields.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  batch[MAGIC_OFFSET] = RECORD_BATCH_MAGIC;
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(batch, FIRST_TIMESTAMP_OFFSET, firstTimestamp);
  writeInt64(batch, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(batch, PRODUCER_ID_OFFSET, fields.producerId);
  batch.writeInt16BE(fields.producerEpoch, PRODUCER_EPOCH_OFFSET);
  batch.writeInt32BE(fields.baseSequence, BASE_SEQUENCE_OFFSET);
  batch.writeInt32BE(count, RECORD_COUNT_OFFSET);
  writeCrc(batch);
}

/** Writes the CRC-32C of attributes..end of the whole-buffer batch `batch`. */
export function writeCrc(batch: Buffer): void {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
}
