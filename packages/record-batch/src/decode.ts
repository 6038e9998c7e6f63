/**
 * The RecordBatch v2 decoder (the consumer side). It checks size and CRC before reading a
 * record, then parses every record strictly: each varint stays inside its record, each record
 * ends exactly where its length says, the records end exactly where the batch does and their
 * number matches recordCount. Any violation is a CorruptMessageError; nothing half-decoded is
 * returned.
 *
 * Zero-copy: keys, values and header values are `subarray` views of the input buffer (or, for a
 * compressed batch, of the decompressed buffer), see {@link DecodedRecord}.
 */
import { CorruptMessageError } from '@tributary/errors';
import { decompressRecords } from './compression';
import { compressionOf, readBatchHeader, recordCountOf, verifyWholeBatch } from './header';
import { readSafeInt64 } from './int64';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_HEADER_SIZE,
  CompressionType,
  type DecodedBatch,
  type DecodedRecord,
  FIRST_TIMESTAMP_OFFSET,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  MIN_RECORD_SIZE,
  type OriginRecord,
  PRODUCER_ID_OFFSET,
  type RecordHeader,
  type RecordOrigin,
  TIMESTAMP_TYPE_MASK,
} from './layout';
import { type Cursor, readVarint, readVarlong } from './varint';

/**
 * Decodes one batch at `position`, verifying size and CRC; throws CorruptMessageError (from
 * @tributary/errors) on any damage, never returns garbage. With `origin`, each record also
 * carries its topic, partition and leader epoch (an `OriginRecord`, a consumer's message). Throws TributaryError
 * `UNSUPPORTED_COMPRESSION_TYPE` for a snappy batch.
 *
 * The returned keys, values and header values alias the input buffer (uncompressed batches) or
 * a buffer private to this call (compressed ones); copy them to keep them past the input's reuse.
 */
export function decodeRecordBatch(buf: Buffer, position = 0, origin?: RecordOrigin): DecodedBatch {
  // The records first: their decode verifies the whole batch (frame, CRC) and the header fields
  // it reads, so the header parse after it meets only what already passed.
  const records = decodeBatchRecords(buf, position, origin);
  return { header: readBatchHeader(buf, position), records };
}

/**
 * The records of the batch at `position`, as {@link decodeRecordBatch} returns them, with the
 * same checks and errors, without the header: its fields are read where they are used, and no
 * header object is made. A consumer decodes one batch per record for keyed data over many
 * partitions (one-record batches), where the header object was larger than the record
 * (docs/scale.md, eighth round).
 */
export function decodeBatchRecords(buf: Buffer, position = 0, origin?: RecordOrigin): DecodedRecord[] {
  const batchLength = verifyWholeBatch(buf, position);
  const attributes = buf.readInt16BE(position + ATTRIBUTES_OFFSET);
  const compression = compressionOf(position, attributes);
  fields.recordCount = recordCountOf(buf, position);
  // Each int64 checked to be a safe integer, as parseHeader does: both decoders refuse the same batches.
  fields.baseOffset = readSafeInt64(buf, position + BASE_OFFSET_OFFSET, 'baseOffset');
  fields.firstTimestamp = readSafeInt64(buf, position + FIRST_TIMESTAMP_OFFSET, 'firstTimestamp');
  fields.maxTimestamp = readSafeInt64(buf, position + MAX_TIMESTAMP_OFFSET, 'maxTimestamp');
  readSafeInt64(buf, position + PRODUCER_ID_OFFSET, 'producerId');
  fields.lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA_OFFSET);
  fields.logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0;
  return decodeVerified(buf, position, batchLength, compression, origin);
}

/**
 * The header fields the records are read with, filled in by the decoder before it reads them.
 * Scratch space shared by every call, as the encoder's: decoding is synchronous, so no two
 * calls interleave, and a batch decode allocates no object for its header.
 */
const fields = {
  baseOffset: 0,
  lastOffsetDelta: 0,
  firstTimestamp: 0,
  maxTimestamp: 0,
  recordCount: 0,
  logAppendTime: false,
};

/** Decodes the records of a batch whose frame and CRC are verified and whose `fields` are read. */
function decodeVerified(
  buf: Buffer,
  position: number,
  batchLength: number,
  compression: CompressionType,
  origin: RecordOrigin | undefined,
): DecodedRecord[] {
  const recordsStart = position + BATCH_HEADER_SIZE;
  const batchEnd = position + LOG_OVERHEAD + batchLength;
  if (!Number.isSafeInteger(fields.baseOffset + fields.lastOffsetDelta)) {
    throw corrupt(
      position,
      `its last offset ${fields.baseOffset} + ${fields.lastOffsetDelta} is not a safe integer`,
    );
  }

  let data = buf;
  let start = recordsStart;
  let end = batchEnd;
  if (compression !== CompressionType.None) {
    data = decompressRecords(compression, buf.subarray(recordsStart, batchEnd));
    start = 0;
    end = data.length;
  }
  if (fields.recordCount > (end - start) / MIN_RECORD_SIZE) {
    throw corrupt(
      position,
      `recordCount ${fields.recordCount} cannot fit in ${end - start} bytes of records`,
    );
  }
  return readRecords(data, start, end, position, origin);
}

function corrupt(position: number, problem: string): CorruptMessageError {
  return new CorruptMessageError(`Batch at position ${position}: ${problem}.`, { context: { position } });
}

function readRecords(
  data: Buffer,
  start: number,
  end: number,
  position: number,
  origin: RecordOrigin | undefined,
): DecodedRecord[] {
  const { recordCount, baseOffset, lastOffsetDelta, firstTimestamp, maxTimestamp, logAppendTime } = fields;
  const records: DecodedRecord[] = new Array(recordCount);
  const cursor: Cursor = { pos: start };
  let previousDelta = -1;
  try {
    for (let i = 0; i < recordCount; i++) {
      const length = readVarint(data, cursor, end);
      const recordStart = cursor.pos;
      const recordEnd = recordStart + length;
      if (length < MIN_RECORD_SIZE - 1 || recordEnd > end) {
        throw corrupt(position, `record ${i} has length ${length}, ${end - recordStart} bytes remain`);
      }
      cursor.pos++; // record attributes: unused
      const timestampDelta = readVarlong(data, cursor, recordEnd);
      const offsetDelta = readVarint(data, cursor, recordEnd);
      if (offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
        throw corrupt(
          position,
          `record ${i} has offsetDelta ${offsetDelta}, out of order or past ${lastOffsetDelta}`,
        );
      }
      previousDelta = offsetDelta;
      const key = readBytes(data, cursor, recordEnd, position, i, 'key');
      const value = readBytes(data, cursor, recordEnd, position, i, 'value');
      const headerCount = readVarint(data, cursor, recordEnd);
      if (headerCount < 0 || headerCount > (recordEnd - cursor.pos) / 2) {
        throw corrupt(position, `record ${i} has header count ${headerCount}`);
      }
      const headers: RecordHeader[] = headerCount === 0 ? NO_HEADERS : new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const keyLength = readVarint(data, cursor, recordEnd);
        const keyStart = cursor.pos;
        if (keyLength < 0 || keyStart + keyLength > recordEnd) {
          throw corrupt(position, `record ${i} header ${h} has key length ${keyLength}`);
        }
        cursor.pos = keyStart + keyLength;
        headers[h] = {
          key: data.toString('utf8', keyStart, keyStart + keyLength),
          value: readBytes(data, cursor, recordEnd, position, i, `header ${h} value`),
        };
      }
      if (cursor.pos !== recordEnd) {
        throw corrupt(
          position,
          `record ${i} says ${length} bytes but its fields take ${cursor.pos - recordStart}`,
        );
      }
      const timestamp = logAppendTime ? maxTimestamp : firstTimestamp + timestampDelta;
      if (!Number.isSafeInteger(timestamp)) {
        throw corrupt(position, `record ${i} has timestamp delta ${timestampDelta} out of range`);
      }
      const offset = baseOffset + offsetDelta;
      if (origin === undefined) records[i] = { offset, timestamp, key, value, headers };
      else {
        const record: OriginRecord = {
          topic: origin.topic,
          partition: origin.partition,
          offset,
          timestamp,
          key,
          value,
          headers,
          leaderEpoch: origin.leaderEpoch,
        };
        records[i] = record;
      }
    }
  } catch (err) {
    if (err instanceof CorruptMessageError && err.context['position'] === undefined) {
      // A varint error, which knows only its byte: say which batch and record it is in.
      throw new CorruptMessageError(`Batch at position ${position}: ${err.message}`, {
        cause: err,
        context: { position },
      });
    }
    throw err;
  }
  if (cursor.pos !== end) {
    throw corrupt(position, `${end - cursor.pos} bytes follow the last of its ${recordCount} records`);
  }
  return records;
}

/** The headers of every record that has none: frozen, since every such record shares it. */
const NO_HEADERS: RecordHeader[] = Object.freeze([]) as unknown as RecordHeader[];

/** A varint length (-1 = null) and that many bytes, as a view. */
function readBytes(
  data: Buffer,
  cursor: Cursor,
  limit: number,
  position: number,
  record: number,
  field: string,
): Buffer | null {
  const length = readVarint(data, cursor, limit);
  if (length === -1) return null;
  const from = cursor.pos;
  if (length < -1 || from + length > limit) {
    throw corrupt(position, `record ${record} has ${field} length ${length}, ${limit - from} bytes remain`);
  }
  cursor.pos = from + length;
  return data.subarray(from, from + length);
}
