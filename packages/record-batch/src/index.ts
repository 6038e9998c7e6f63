/**
 * `@tributary/record-batch`: Kafka's RecordBatch v2 (magic 2) codec, shared by client and broker.
 * Layout and contracts: docs/record-batch.md.
 */
export { type BuilderOptions, type BuildOptions, RecordBatchBuilder } from './builder';
export { SUPPORTED_COMPRESSION_TYPES } from './compression';
export { decodeBatchRecords, decodeRecordBatch } from './decode';
export { encodeRecordBatch } from './encode';
export {
  batchesIn,
  batchSizeAt,
  frameBatchAt,
  readBatchHeader,
  validateBatch,
  verifyBatchCrc,
} from './header';
export {
  BATCH_HEADER_SIZE,
  type BatchHeader,
  CompressionType,
  type DecodedBatch,
  type DecodedRecord,
  type EncodeOptions,
  LOG_OVERHEAD,
  type OriginRecord,
  RECORD_BATCH_MAGIC,
  type RecordHeader,
  type RecordInput,
  type RecordOrigin,
  TimestampType,
} from './layout';
export {
  HEADER_PEEK_SIZE,
  peekBaseOffset,
  peekBatchSize,
  peekIsControl,
  peekLastOffset,
  peekLeaderEpoch,
  peekMaxTimestamp,
  peekRecordCount,
} from './peek';
export { stampBatch, stampLogAppendTime, withProducerState } from './stamp';
export {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from './varint';
