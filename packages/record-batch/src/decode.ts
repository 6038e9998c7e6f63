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
import { readVerifiedHeader } from './header';
import {
  BATCH_HEADER_SIZE,
  type BatchHeader,
  CompressionType,
  type DecodedBatch,
  type DecodedRecord,
  LOG_OVERHEAD,
  MIN_RECORD_SIZE,
  type OriginRecord,
  type RecordHeader,
  type RecordOrigin,
  TimestampType,
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
  const header = readVerifiedHeader(buf, position);
  const recordsStart = position + BATCH_HEADER_SIZE;
  const batchEnd = position + LOG_OVERHEAD + header.batchLength;
  if (!Number.isSafeInteger(header.baseOffset + header.lastOffsetDelta)) {
    throw corrupt(
      position,
      `its last offset ${header.baseOffset} + ${header.lastOffsetDelta} is not a safe integer`,
    );
  }

  let data = buf;
  let start = recordsStart;
  let end = batchEnd;
  if (header.compression !== CompressionType.None) {
    data = decompressRecords(header.compression, buf.subarray(recordsStart, batchEnd));
    start = 0;
    end = data.length;
  }
  if (header.recordCount > (end - start) / MIN_RECORD_SIZE) {
    throw corrupt(
      position,
      `recordCount ${header.recordCount} cannot fit in ${end - start} bytes of records`,
    );
  }
  return { header, records: readRecords(data, start, end, header, position, origin) };
}

function corrupt(position: number, problem: string): CorruptMessageError {
  return new CorruptMessageError(`Batch at position ${position}: ${problem}.`, { context: { position } });
}

function readRecords(
  data: Buffer,
  start: number,
  end: number,
  header: BatchHeader,
  position: number,
  origin: RecordOrigin | undefined,
): DecodedRecord[] {
  const { recordCount, baseOffset, lastOffsetDelta, firstTimestamp } = header;
  const logAppendTime = header.timestampType === TimestampType.LogAppendTime;
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
      const timestamp = logAppendTime ? header.maxTimestamp : firstTimestamp + timestampDelta;
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
