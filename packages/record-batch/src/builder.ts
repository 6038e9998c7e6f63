/**
 * A batch written record by record as the records come (Kafka's `MemoryRecordsBuilder`): each
 * `append` writes the record's bytes into the batch's buffer at once, so the caller's record
 * object can die young, and `build` writes nothing per record: the header (producer id, epoch,
 * base sequence, counts, timestamps), the compression of the records section when asked, and the
 * CRC. A producer holding batches for thousands of partitions for seconds keeps their bytes,
 * not their record objects (docs/scale.md, ninth round).
 *
 * The record's offset delta is its index, its timestamp delta the distance from the first
 * record's timestamp (firstTimestamp; later deltas may be negative, as Kafka's), both known at
 * append. Timestamps are CreateTime; a LogAppendTime batch is `encodeRecordBatch`'s.
 *
 * The buffer starts small (`initialCapacity`) and doubles up to `capacityHint` (a producer passes its batch size plus
 * the header), then grows to what the record that crosses it needs, and doubles again only past
 * that: a batch of one record at 10,000 partitions costs a few hundred bytes, not a batch size.
 * The records go after room for the header, so an uncompressed batch is built in place: `build`
 * returns a view of the buffer, whose unused tail (at most what its last growth added) stays
 * with it until the batch is let go.
 *
 * The bytes are those `encodeRecordBatch` writes for the same records and options
 * (builder.test.ts); both write through record-writer.ts.
 */
import { TributaryError } from '@tributary/errors';
import { compressRecords } from './compression';
import { BATCH_HEADER_SIZE, CompressionType, type EncodeOptions, type RecordInput } from './layout';
import {
  checkOffsetRoom,
  checkTimestamp,
  compressionOption,
  INT32_MAX,
  producerFields,
  recordBodySize,
  writeBatchHeader,
  writeRecord,
} from './record-writer';
import { sizeOfVarint } from './varint';

/** What `build` takes: `EncodeOptions` without the timestamp choices (CreateTime, set at append). */
export type BuildOptions = Omit<EncodeOptions, 'timestampType' | 'now'>;

/** The buffer a builder starts with by default (or what its first record needs, if more). */
const INITIAL_CAPACITY = 512;

export interface BuilderOptions {
  /**
   * The size the batch is expected to reach (a producer's batchSize + BATCH_HEADER_SIZE): the
   * buffer doubles up to it. @default 16384 + BATCH_HEADER_SIZE
   */
  capacityHint?: number;
  /**
   * The first buffer's size (a producer passes about what the partition's previous batch took,
   * so a steady batch is written into one buffer, without growing). @default 512
   */
  initialCapacity?: number;
  /** The clock for records without a timestamp. @default Date.now */
  now?: () => number;
}
const EMPTY = Buffer.alloc(0);

export class RecordBatchBuilder {
  #buffer: Buffer = EMPTY;
  /** Where the next record goes; the records section starts at BATCH_HEADER_SIZE. */
  #position = BATCH_HEADER_SIZE;
  #count = 0;
  #firstTimestamp = 0;
  #maxTimestamp = 0;
  #built = false;

  readonly #capacityHint: number;
  readonly #initialCapacity: number;
  readonly #now: () => number;

  constructor(options: BuilderOptions = {}) {
    this.#capacityHint = options.capacityHint ?? 16384 + BATCH_HEADER_SIZE;
    this.#initialCapacity = Math.max(BATCH_HEADER_SIZE, options.initialCapacity ?? INITIAL_CAPACITY);
    this.#now = options.now ?? Date.now;
  }

  /** Records appended. */
  get count(): number {
    return this.#count;
  }

  /** The batch's size so far, uncompressed: the header and the records written. */
  get sizeInBytes(): number {
    return this.#position;
  }

  /** The first record's timestamp (0 before any). */
  get firstTimestamp(): number {
    return this.#firstTimestamp;
  }

  /**
   * Whether a record of this timestamp can join: its delta from the first record's must be a
   * safe integer, and the batch must not be built.
   */
  accepts(timestamp: number): boolean {
    return (
      !this.#built &&
      this.#count < INT32_MAX &&
      (this.#count === 0 || Number.isSafeInteger(timestamp - this.#firstTimestamp))
    );
  }

  /**
   * Writes one record; returns its timestamp. Throws as `encodeRecordBatch` does for a malformed
   * record or timestamp, and then nothing of the record is written.
   */
  append(record: RecordInput): number {
    if (this.#built) throw new TributaryError('INVALID_REQUEST', 'The batch is built already.');
    const index = this.#count;
    if (index >= INT32_MAX)
      throw new TributaryError('INVALID_RECORD', `Too many records for one batch: ${index + 1}.`);
    const timestamp = checkTimestamp(record.timestamp ?? this.#now(), index);
    const first = index === 0 ? timestamp : this.#firstTimestamp;
    const delta = timestamp - first;
    if (!Number.isSafeInteger(delta)) {
      throw new TributaryError(
        'INVALID_TIMESTAMP',
        `Record ${index}: timestamp ${timestamp} is too far from ${first}.`,
      );
    }
    const body = recordBodySize(record, index, index, delta, 0);
    const end = this.#position + sizeOfVarint(body) + body;
    if (end > this.#buffer.length) this.#grow(end);
    this.#position = writeRecord(this.#buffer, this.#position, record, body, index, delta, 0);
    if (index === 0) {
      this.#firstTimestamp = timestamp;
      this.#maxTimestamp = timestamp;
    } else if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    this.#count = index + 1;
    return timestamp;
  }

  /**
   * The batch: header and CRC written, the records section compressed if `options.compression`
   * says so. Once only; the builder takes no records after it and lets its buffer go.
   */
  build(options: BuildOptions = {}): Buffer {
    if (this.#built) throw new TributaryError('INVALID_REQUEST', 'The batch is built already.');
    if (this.#count === 0)
      throw new TributaryError('INVALID_RECORD', 'A record batch needs at least one record.');
    const compression = compressionOption(options);
    const fields = producerFields(options);
    checkOffsetRoom(fields.baseOffset, this.#count);
    let batch: Buffer;
    if (compression === CompressionType.None) batch = this.#buffer.subarray(0, this.#position);
    else {
      const body = compressRecords(compression, this.#buffer.subarray(BATCH_HEADER_SIZE, this.#position));
      batch = Buffer.allocUnsafe(BATCH_HEADER_SIZE + body.length);
      batch.set(body, BATCH_HEADER_SIZE);
    }
    writeBatchHeader(
      batch,
      fields,
      compression,
      false,
      this.#count,
      this.#firstTimestamp,
      this.#maxTimestamp,
    );
    this.#built = true;
    this.#buffer = EMPTY;
    return batch;
  }

  /** Grows the buffer to hold `end` bytes (see the file header), keeping what is written. */
  #grow(end: number): void {
    const current = this.#buffer.length;
    let capacity = current === 0 ? this.#initialCapacity : current * 2;
    // Up to the hint by doubling; the record that crosses it gets what it needs, no more.
    if (capacity > this.#capacityHint && current < this.#capacityHint) capacity = this.#capacityHint;
    if (capacity < end) capacity = end;
    const grown = Buffer.allocUnsafe(capacity);
    if (this.#position > BATCH_HEADER_SIZE)
      this.#buffer.copy(grown, BATCH_HEADER_SIZE, BATCH_HEADER_SIZE, this.#position);
    this.#buffer = grown;
  }
}
