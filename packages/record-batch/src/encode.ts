/**
 * The RecordBatch v2 encoder for a list of records at hand. Two passes over the records: the
 * first validates them and computes every record's size, the second writes them into one buffer
 * allocated at its final size. Nothing is concatenated; a compressed batch costs one more buffer
 * for the compressor's output. A producer that gathers records one by one writes each as it
 * comes instead (`RecordBatchBuilder`, builder.ts); both share record-writer.ts.
 *
 * Field choices follow Kafka's `MemoryRecordsBuilder`: firstTimestamp is the first record's
 * timestamp (later deltas may be negative), maxTimestamp the largest, offset deltas 0..n-1,
 * lastOffsetDelta n-1.
 */
import { TributaryError } from '@tributary/errors';
import { compressRecords } from './compression';
import {
  BATCH_HEADER_SIZE,
  CompressionType,
  type EncodeOptions,
  type RecordInput,
  TimestampType,
} from './layout';
import {
  checkOffsetRoom,
  checkTimestamp,
  checkTimestampDelta,
  compressionOption,
  INT32_MAX,
  invalidOption,
  producerFields,
  recordBodySize,
  writeBatchHeader,
  writeRecord,
} from './record-writer';
import { sizeOfVarint } from './varint';

// Scratch space shared by every call: encoding is synchronous, so no two calls interleave.
// Grown on demand, never shrunk; holds per-record body sizes.
let recordSizes = new Int32Array(1024);

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

  const compression = compressionOption(options);
  const timestampType = options.timestampType ?? TimestampType.CreateTime;
  if (timestampType !== TimestampType.CreateTime && timestampType !== TimestampType.LogAppendTime) {
    throw invalidOption('timestampType', timestampType, 'a TimestampType');
  }
  const fields = producerFields(options);
  checkOffsetRoom(fields.baseOffset, count);

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
  const timestampOf = (record: RecordInput, i: number): number =>
    record.timestamp === undefined ? now() : checkTimestamp(record.timestamp, i);
  const firstTimestamp = logAppendTime ? now() : timestampOf(records[0]!, 0);

  if (recordSizes.length < count) recordSizes = new Int32Array(Math.max(count, recordSizes.length * 2));

  // Pass 1: validate and size.
  let recordsSize = 0;
  let maxTimestamp = firstTimestamp;
  let headerTotal = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const timestamp = logAppendTime ? firstTimestamp : timestampOf(record, i);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const delta = checkTimestampDelta(timestamp, firstTimestamp, i);
    const body = recordBodySize(record, i, i, delta, headerTotal);
    headerTotal += record.headers ? record.headers.length : 0;
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
  let headerAt = 0;
  for (let i = 0; i < count; i++) {
    const record = records[i]!;
    const timestamp = logAppendTime ? firstTimestamp : (record.timestamp ?? now());
    pos = writeRecord(out, pos, record, recordSizes[i]!, i, timestamp - firstTimestamp, headerAt);
    headerAt += record.headers ? record.headers.length : 0;
  }

  let batch: Buffer;
  if (compressed) {
    const body = compressRecords(compression, out);
    batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
    batch.set(body, BATCH_HEADER_SIZE);
  } else {
    batch = out;
  }
  writeBatchHeader(batch, fields, compression, logAppendTime, count, firstTimestamp, maxTimestamp);
  return batch;
}
