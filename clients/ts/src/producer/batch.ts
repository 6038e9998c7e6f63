/**
 * One producer batch: the records of one partition that travel together, who is waiting for
 * them (each `send` call and the index of its record), and its retry state. Also the record
 * conversion from the public `ProducerMessage` to the codec's `RecordInput`.
 *
 * A record is encoded into the batch's bytes when it is appended (`RecordBatchBuilder`, Kafka's
 * `MemoryRecordsBuilder`), so its `RecordInput` dies young; what its acknowledgement needs is its
 * send call and its index there, side by side in one array (its timestamp is the call's, unless
 * it had its own), not an object per record. With keys over 10,000 partitions batches wait for seconds, and holding and then
 * re-reading every record object at send time was about a third of the producer's CPU
 * (docs/scale.md, eighth and ninth rounds).
 */
import { TributaryError } from '@tributary/errors';
import {
  BATCH_HEADER_SIZE,
  type BuildOptions,
  RecordBatchBuilder,
  type RecordHeader,
  type RecordInput,
} from '@tributary/record-batch';
import type { RequestTraceContext } from '../telemetry/send-tracing';
import type { ProducerMessage, RecordMetadata } from './types';

/** One `send` call: settles once every one of its records is acknowledged or one fails. */
export interface SendCall {
  readonly results: RecordMetadata[];
  /** The timestamp of its records that have none of their own: the send's `Date.now()`. */
  readonly timestamp: number;
  /** The timestamps its records brought, by index; undefined when none did. */
  readonly timestamps: (number | undefined)[] | undefined;
  remaining: number;
  settled: boolean;
  resolve(r: RecordMetadata[]): void;
  reject(e: unknown): void;
}

export class ProducerBatch {
  /** The records' bytes until the batch is first sent (`build`), then `encoded`. */
  readonly #builder: RecordBatchBuilder;
  /**
   * Per record, in order, its send call and its index there, side by side: one array, not two
   * (at 10,000 partitions each array's end is a cold cache line for every record appended).
   */
  readonly #owners: (SendCall | number)[] = [];
  /** The records' bytes as `batchSize` and `bufferMemory` count them (`estimateSize`). */
  bytes = 0;
  /** The batch as last sent (with the sequence numbers of that attempt). */
  encoded: Buffer | undefined;
  baseSequence = -1;
  sequenceGeneration = -1;
  attempts = 0;
  retryAt = 0;
  inFlight = false;
  done = false;
  /**
   * An attempt failed in a way that leaves the batch possibly appended on the broker, so its
   * sequence numbers are never given to other records under this producer id (Idempotence).
   */
  maybeAppended = false;
  /** The error of the latest failed attempt: what the caller gets if retries run out. */
  lastError: TributaryError | undefined;
  /** The trace context of the first sampled record appended: its produce request carries it. */
  traceContext: RequestTraceContext | undefined;
  readonly deadline: number;
  readonly #waiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    deliveryTimeoutMs: number,
    /** The `batchSize` the batch is expected to reach: its buffer grows up to about that. */
    batchSize: number,
    /** The bytes its buffer starts with (about what the partition's previous batch took). */
    initialCapacity?: number,
  ) {
    this.deadline = Date.now() + deliveryTimeoutMs;
    this.#builder = new RecordBatchBuilder({
      capacityHint: batchSize + BATCH_HEADER_SIZE,
      ...(initialCapacity === undefined ? {} : { initialCapacity }),
    });
  }

  /** Records in the batch. */
  get count(): number {
    return this.#owners.length >> 1;
  }

  /** The batch's size so far, uncompressed (header and records), until it is built. */
  get sizeInBytes(): number {
    return this.#builder.sizeInBytes;
  }

  /** Whether a record of this timestamp can still join (not sent yet, its timestamp delta representable). */
  accepts(timestamp: number): boolean {
    return this.#builder.accepts(timestamp);
  }

  /** Encodes `input` into the batch, for record `index` of `call`. */
  append(input: RecordInput, call: SendCall, index: number): void {
    this.#builder.append(input);
    this.#owners.push(call, index);
  }

  /** The batch's bytes with these header fields; once, when it is first sent (then `encoded`). */
  build(options: BuildOptions): Buffer {
    this.encoded = this.#builder.build(options);
    return this.encoded;
  }

  whenDone(): Promise<void> {
    return this.done ? Promise.resolve() : new Promise((r) => this.#waiters.push(r));
  }

  finish(): void {
    this.done = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves the owners' records with their offsets (`base` -1: acks=0, no offsets). */
  succeed(base: number, appendTime: number): void {
    const owners = this.#owners;
    for (let i = 0; i < owners.length; i += 2) {
      const call = owners[i] as SendCall;
      const index = owners[i + 1] as number;
      call.results[index] = {
        topic: this.topic,
        partition: this.partition,
        offset: base < 0 ? -1 : base + (i >> 1),
        timestamp: appendTime >= 0 ? appendTime : (call.timestamps?.[index] ?? call.timestamp),
      };
      if (--call.remaining === 0 && !call.settled) {
        call.settled = true;
        call.resolve(call.results);
      }
    }
  }

  /** Rejects every owner not settled yet. */
  fail(err: unknown): void {
    for (let i = 0; i < this.#owners.length; i += 2) {
      const call = this.#owners[i] as SendCall;
      if (!call.settled) {
        call.settled = true;
        call.reject(err);
      }
    }
  }
}

function invalidRecord(index: number, problem: string): TributaryError {
  return new TributaryError('INVALID_RECORD', `Record ${index}: ${problem}.`, { context: { record: index } });
}

function toBuffer(v: Buffer | string | null | undefined, index: number, field: string): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v);
  if (v instanceof Uint8Array) return v;
  throw invalidRecord(index, `${field} is not a Buffer, a string or null`);
}

function toHeader(key: string, value: Buffer | string | null, index: number): RecordHeader {
  if (typeof key !== 'string') throw invalidRecord(index, 'a header has no string key');
  return { key, value: toBuffer(value, index, `header ${key}`) };
}

/**
 * The codec's input for message `index` of a send, stamped `now` unless it has a timestamp.
 * Checked here, as the codec would: a record is encoded when it is appended to its batch, and a
 * bad one must reject its send before any record of it is appended (`Producer.send`).
 */
export function toRecordInput(m: ProducerMessage, now: number, index = 0): RecordInput {
  let headers: RecordHeader[] | undefined;
  if (Array.isArray(m.headers)) headers = m.headers.map((h) => toHeader(h.key, h.value, index));
  else if (m.headers !== undefined)
    headers = Object.entries(m.headers).map(([key, value]) => toHeader(key, value, index));
  if (m.timestamp !== undefined && !Number.isSafeInteger(m.timestamp))
    throw new TributaryError(
      'INVALID_TIMESTAMP',
      `Record ${index}: timestamp ${m.timestamp} is not a safe integer.`,
      {
        context: { record: index },
      },
    );
  // Every record gets the same object shape, `headers` included even when undefined: a traced
  // record has its `traceparent` header assigned later (send-tracing.ts), and a shape of its own
  // would make the accumulator and the codec polymorphic for every record.
  return {
    key: toBuffer(m.key, index, 'key'),
    value: toBuffer(m.value, index, 'value'),
    headers,
    timestamp: m.timestamp ?? now,
  };
}

/**
 * About the bytes a record of these key and value sizes takes in a batch, headers apart: what
 * `batchSize` counts, and what the default partitioner counts to fill one batch per partition.
 */
export function estimateRecordBytes(keyBytes: number, valueBytes: number): number {
  return 12 + keyBytes + valueBytes;
}

/** About the bytes a record takes in a batch: what `batchSize` counts. */
export function estimateSize(r: RecordInput): number {
  let n = estimateRecordBytes(r.key?.length ?? 0, r.value?.length ?? 0);
  if (r.headers) for (const h of r.headers) n += 4 + h.key.length + (h.value?.length ?? 0);
  return n;
}
