/**
 * The RecordBatch v2 encoder (the producer side). Two passes over the records: the first
 * validates them and computes every record's size, the second writes them into one buffer
 * allocated at its final size. Nothing is concatenated; a compressed batch costs one more buffer
 * for the compressor's output.
 *
 * Field choices follow Kafka's `MemoryRecordsBuilder`: firstTimestamp is the first record's
 * timestamp (later deltas may be negative), maxTimestamp the largest, offset deltas 0..n-1,
 * lastOffsetDelta n-1.
 */
import { crc32c } from '@node-rs/crc32';
import { TributaryError } from '@tributary/errors';
import { compressRecords } from './compression';
import { writeInt64 } from './int64';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BATCH_HEADER_SIZE,
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
  TimestampType,
  TRANSACTIONAL_MASK,
} from './layout';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

const INT32_MAX = 0x7fffffff;

// Scratch space shared by every call: encoding is synchronous, so no two calls interleave.
// Grown on demand, never shrunk; holds per-record body sizes and per-header key byte lengths.
let recordSizes = new Int32Array(1024);
let headerKeySizes = new Int32Array(1024);

function invalidOption(name: string, value: unknown, expected: string): TributaryError {
  return new TributaryError(
    'INVALID_REQUEST',
    `EncodeOptions.${name} is ${String(value)}; expected ${expected}.`,
    {
      context: { option: name },
    },
  );
}

function checkInt(name: string, value: number, min: number, max: number): number {
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

/**
 * Encodes records into one batch (defaults: baseOffset 0, epoch -1, producerId -1,
 * producerEpoch -1, baseSequence -1, no compression, timestamps default to now()).
 *
 * Throws TributaryError `INVALID_RECORD` for an empty list or a malformed record,
 * `INVALID_TIMESTAMP` for a timestamp that is not a safe integer, `INVALID_REQUEST` for a bad
 * option and `UNSUPPORTED_COMPRESSION_TYPE` for snappy.
 */
export function encodeRecordBatch(records: RecordInput[], options: EncodeOptions = {}): Buffer {
  const count = records.length;
  if (count === 0) throw new TributaryError('INVALID_RECORD', 'A record batch needs at least one record.');
  if (count > INT32_MAX)
    throw new TributaryError('INVALID_RECORD', `Too many records for one batch: ${count}.`);

  const compression = options.compression ?? CompressionType.None;
  if (!(compression in CompressionType) || typeof compression !== 'number') {
    throw invalidOption('compression', compression, 'a CompressionType');
  }
  const timestampType = options.timestampType ?? TimestampType.CreateTime;
  if (timestampType !== TimestampType.CreateTime && timestampType !== TimestampType.LogAppendTime) {
    throw invalidOption('timestampType', timestampType, 'a TimestampType');
  }
  const baseOffset = checkInt('baseOffset', options.baseOffset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  const epoch = checkInt('partitionLeaderEpoch', options.partitionLeaderEpoch ?? -1, -1, INT32_MAX);
  const producerId = checkInt('producerId', options.producerId ?? -1, -1, Number.MAX_SAFE_INTEGER);
  const producerEpoch = checkInt('producerEpoch', options.producerEpoch ?? -1, -1, 0x7fff);
  const baseSequence = checkInt('baseSequence', options.baseSequence ?? -1, -1, INT32_MAX);
  if (baseOffset + count - 1 > Number.MAX_SAFE_INTEGER)
    throw invalidOption('baseOffset', baseOffset, 'room for the records');

  // Timestamps: `now` once per batch, only if some record needs it.
  let nowValue: number | undefined;
  const now = (): number => {
    if (nowValue === undefined) {
      nowValue = (options.now ?? Date.now)();
      if (!Number.isSafeInteger(nowValue)) {
        throw new TributaryError('INVALID_TIMESTAMP', `EncodeOptions.now() returned ${nowValue}.`);
      }
    }
    return nowValue;
  };
  const logAppendTime = timestampType === TimestampType.LogAppendTime;
  const firstTimestamp = logAppendTime ? now() : timestampOf(records[0]!, 0, now);

  if (recordSizes.length < count) recordSizes = new Int32Array(Math.max(count, recordSizes.length * 2));

  // Pass 1: validate and size.
  let recordsSize = 0;
  let maxTimestamp = firstTimestamp;
  let headerTotal = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const timestamp = logAppendTime ? firstTimestamp : timestampOf(record, i, now);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const delta = timestamp - firstTimestamp;
    if (!Number.isSafeInteger(delta)) {
      throw new TributaryError(
        'INVALID_TIMESTAMP',
        `Record ${i}: timestamp ${timestamp} is too far from ${firstTimestamp}.`,
      );
    }
    const keyLength = bytesLength(i, 'key', record.key);
    const valueLength = bytesLength(i, 'value', record.value);
    let body =
      1 + // attributes
      sizeOfVarlong(delta) +
      sizeOfVarint(i) +
      sizeOfVarint(keyLength) +
      Math.max(keyLength, 0) +
      sizeOfVarint(valueLength) +
      Math.max(valueLength, 0);
    const headers = record.headers;
    const headerCount = headers ? headers.length : 0;
    body += sizeOfVarint(headerCount);
    if (headerCount > 0) {
      if (headerKeySizes.length < headerTotal + headerCount) {
        const grown = new Int32Array(Math.max(headerTotal + headerCount, headerKeySizes.length * 2));
        grown.set(headerKeySizes.subarray(0, headerTotal));
        headerKeySizes = grown;
      }
      for (let h = 0; h < headerCount; h++) {
        const header = headers![h]!;
        if (typeof header?.key !== 'string') throw invalidRecord(i, `header ${h} has no string key`);
        const keyBytes = Buffer.byteLength(header.key, 'utf8');
        headerKeySizes[headerTotal++] = keyBytes;
        const headerValueLength = bytesLength(i, `header ${h} value`, header.value);
        body +=
          sizeOfVarint(keyBytes) +
          keyBytes +
          sizeOfVarint(headerValueLength) +
          Math.max(headerValueLength, 0);
      }
    }
    if (body > INT32_MAX - 5) throw invalidRecord(i, `it is ${body} bytes`);
    recordSizes[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }

  const compressed = compression !== CompressionType.None;
  // Uncompressed: records go straight after the header in the final buffer.
  const out = compressed
    ? Buffer.allocUnsafe(recordsSize)
    : Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize);
  let pos = compressed ? 0 : BATCH_HEADER_SIZE;

  // Pass 2: write.
  let headerIndex = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const timestamp = logAppendTime ? firstTimestamp : timestampOf(record, i, now);
    pos = writeVarint(out, pos, recordSizes[i]!);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarlong(out, pos, timestamp - firstTimestamp);
    pos = writeVarint(out, pos, i);
    pos = writeBytes(out, pos, record.key);
    pos = writeBytes(out, pos, record.value);
    const headers = record.headers;
    const headerCount = headers ? headers.length : 0;
    pos = writeVarint(out, pos, headerCount);
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      const keyBytes = headerKeySizes[headerIndex++]!;
      pos = writeVarint(out, pos, keyBytes);
      if (keyBytes > 0) pos += out.write(header.key, pos, keyBytes, 'utf8');
      pos = writeBytes(out, pos, header.value);
    }
  }

  let batch: Buffer;
  if (compressed) {
    const body = compressRecords(compression, out);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    batch.set(body, BATCH_HEADER_SIZE);
  } else {
    batch = out;
  }

  let attributes = compression;
  if (logAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (options.isTransactional === true) attributes |= TRANSACTIONAL_MASK;
  if (options.isControl === true) attributes |= CONTROL_MASK;
  writeInt64(batch, BASE_OFFSET_OFFSET, baseOffset);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  batch.writeInt32BE(epoch, PARTITION_LEADER_EPOCH_OFFSET);
  batch[MAGIC_OFFSET] = RECORD_BATCH_MAGIC;
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(batch, FIRST_TIMESTAMP_OFFSET, firstTimestamp);
  writeInt64(batch, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  writeInt64(batch, PRODUCER_ID_OFFSET, producerId);
  batch.writeInt16BE(producerEpoch, PRODUCER_EPOCH_OFFSET);
  batch.writeInt32BE(baseSequence, BASE_SEQUENCE_OFFSET);
  batch.writeInt32BE(count, RECORD_COUNT_OFFSET);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

function timestampOf(record: RecordInput, index: number, now: () => number): number {
  const timestamp = record.timestamp;
  if (timestamp === undefined) return now();
  if (!Number.isSafeInteger(timestamp)) {
    throw new TributaryError(
      'INVALID_TIMESTAMP',
      `Record ${index}: timestamp ${timestamp} is not a safe integer.`,
      {
        context: { record: index },
      },
    );
  }
  return timestamp;
}

/** Writes a varint length (-1 for null) and the bytes. */
function writeBytes(out: Buffer, pos: number, bytes: Buffer | null | undefined): number {
  if (bytes === null || bytes === undefined) return writeVarint(out, pos, -1);
  pos = writeVarint(out, pos, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}
