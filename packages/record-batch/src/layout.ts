/**
 * The RecordBatch v2 (magic 2) byte layout, exactly Kafka's (`DefaultRecordBatch`), and the
 * public types that describe it. All integers are big-endian; offsets are from the batch start.
 *
 * ```
 *  0 baseOffset            int64   \ LOG_OVERHEAD (12): not covered by the CRC
 *  8 batchLength           int32   /  (bytes after this field)
 * 12 partitionLeaderEpoch  int32     not covered by the CRC (the broker stamps it)
 * 16 magic                 int8      = 2
 * 17 crc                   uint32    CRC-32C of bytes 21 .. end
 * 21 attributes            int16     bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
 * 23 lastOffsetDelta       int32
 * 27 firstTimestamp        int64     (Kafka: baseTimestamp)
 * 35 maxTimestamp          int64
 * 43 producerId            int64
 * 51 producerEpoch         int16
 * 53 baseSequence          int32
 * 57 recordCount           int32
 * 61 records ...                     compressed as a whole when compression != none
 * ```
 */

/** Compression codec, attributes bits 0-2. */
export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

/** Timestamp type, attributes bit 3. */
export enum TimestampType {
  CreateTime = 0,
  LogAppendTime = 1,
}

/** baseOffset + batchLength: the bytes in front of what batchLength counts. */
export const LOG_OVERHEAD = 12;
/** Bytes before the first record. */
export const BATCH_HEADER_SIZE = 61;
/** The only magic this codec reads or writes. */
export const RECORD_BATCH_MAGIC = 2;
/** The smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_SIZE - LOG_OVERHEAD;

/** Field offsets within a batch. */
export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
/** The CRC covers from here to the end of the batch. */
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const FIRST_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;

/**
 * The fewest bytes one record can take: length, attributes, timestampDelta, offsetDelta,
 * keyLength, valueLength and headers count, one byte each. Bounds recordCount before decoding.
 */
export const MIN_RECORD_SIZE = 7;

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds since the epoch; defaults to the batch's `now()`. */
  timestamp?: number;
}

/**
 * One decoded record. `key`, `value` and header values are views (`subarray`) of the bytes the
 * batch was decoded from, not copies: for an uncompressed batch they alias the caller's input
 * buffer (overwrite or reuse that buffer and they change), for a compressed one they alias the
 * decompressed buffer private to that decode. Copy them (`Buffer.from(view)`) to keep them
 * independently of the input.
 */
export interface DecodedRecord {
  /** baseOffset + offsetDelta. */
  offset: number;
  /** firstTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** A record without headers shares one frozen empty array (one object less per record). */
  headers: RecordHeader[];
}

/**
 * Where a batch's records come from, as a consumer reports it with each record. Given to
 * `decodeRecordBatch`, every record carries these fields too (in a consumer message's field
 * order), so a consumer can hand the decoded record on as its message instead of copying it.
 */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
}

/** A record decoded with its `RecordOrigin`. */
export type OriginRecord = DecodedRecord & { topic: string; partition: number; leaderEpoch: number };

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
}

export interface EncodeOptions {
  /** @default CompressionType.None */
  compression?: CompressionType;
  /** @default 0 (the broker stamps the real one) */
  baseOffset?: number;
  /** @default -1 */
  partitionLeaderEpoch?: number;
  /** @default -1 (not idempotent) */
  producerId?: number;
  /** @default -1 */
  producerEpoch?: number;
  /** @default -1 */
  baseSequence?: number;
  /** @default false */
  isTransactional?: boolean;
  /** A control batch (transaction markers; brokers write them, producers may not). @default false */
  isControl?: boolean;
  /**
   * Under LogAppendTime every record gets the batch timestamp `now()` (as Kafka's builder does),
   * ignoring `RecordInput.timestamp`.
   * @default TimestampType.CreateTime
   */
  timestampType?: TimestampType;
  /** The clock for records without a timestamp; called at most once per batch. @default Date.now */
  now?: () => number;
}
