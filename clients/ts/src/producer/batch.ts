/**
 * One producer batch: the records of one partition that travel together, who is waiting for
 * them (each `send` call and the index of its record), and its retry state. Also the record
 * conversion from the public `ProducerMessage` to the codec's `RecordInput`.
 */
import type { TributaryError } from '@tributary/errors';
import type { RecordHeader, RecordInput } from '@tributary/record-batch';
import type { RequestTraceContext } from '../telemetry/send-tracing';
import type { ProducerMessage, RecordMetadata } from './types';

/** One `send` call: settles once every one of its records is acknowledged or one fails. */
export interface SendCall {
  readonly results: RecordMetadata[];
  remaining: number;
  settled: boolean;
  resolve(r: RecordMetadata[]): void;
  reject(e: unknown): void;
}

export class ProducerBatch {
  readonly records: RecordInput[] = [];
  readonly owners: SendCall[] = [];
  readonly indices: number[] = [];
  bytes = 0;
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
  ) {
    this.deadline = Date.now() + deliveryTimeoutMs;
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
    for (let i = 0; i < this.records.length; i++) {
      const call = this.owners[i]!;
      call.results[this.indices[i]!] = {
        topic: this.topic,
        partition: this.partition,
        offset: base < 0 ? -1 : base + i,
        timestamp: appendTime >= 0 ? appendTime : (this.records[i]!.timestamp ?? -1),
      };
      if (--call.remaining === 0 && !call.settled) {
        call.settled = true;
        call.resolve(call.results);
      }
    }
  }

  /** Rejects every owner not settled yet. */
  fail(err: unknown): void {
    for (const call of this.owners) {
      if (!call.settled) {
        call.settled = true;
        call.reject(err);
      }
    }
  }
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** The codec's input for one message, stamped `now` unless it has a timestamp. */
export function toRecordInput(m: ProducerMessage, now: number): RecordInput {
  let headers: RecordHeader[] | undefined;
  if (Array.isArray(m.headers)) headers = m.headers.map((h) => ({ key: h.key, value: toBuffer(h.value) }));
  else if (m.headers !== undefined)
    headers = Object.entries(m.headers).map(([key, value]) => ({ key, value: toBuffer(value) }));
  // Every record gets the same object shape, `headers` included even when undefined: a traced
  // record has its `traceparent` header assigned later (send-tracing.ts), and a shape of its own
  // would make the accumulator and the codec polymorphic for every record.
  return {
    key: toBuffer(m.key),
    value: toBuffer(m.value),
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
