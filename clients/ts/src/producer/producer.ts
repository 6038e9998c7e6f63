/**
 * The producer (Kafka's `KafkaProducer`, accumulator + sender in one class).
 *
 * ```ts
 * const producer = new Producer({ bootstrap: ['127.0.0.1:9092'], lingerMs: 5 });
 * await producer.connect();
 * const [meta] = await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] });
 * await producer.flush();
 * await producer.disconnect();
 * ```
 *
 * - Partitioning: an explicit `partition`, else the `partitioner` (default: murmur2 of the key,
 *   sticky for keyless records, as Kafka's Java client).
 * - Batching: records accumulate per partition until `batchSize` bytes or `lingerMs`; the ready
 *   batches of every partition led by one broker travel in one ProduceRequest over that broker's
 *   ProduceStream, with up to `maxInFlightRequestsPerBroker` requests outstanding.
 * - Retries: retriable errors (the error table's flag) are retried per batch with exponential
 *   backoff and jitter until `deliveryTimeoutMs`; leadership errors refresh metadata first.
 *   Batches of a partition are always (re)sent in order: a batch waits behind an earlier one of
 *   its partition that is waiting to be retried.
 * - Idempotence (default with acks = -1): a producer id and epoch from the controller's
 *   InitProducerId, and per-partition sequence numbers assigned when a batch is first sent and
 *   kept through its retries, so the broker drops a retried batch it already appended
 *   (answering with the original offset) and rejects gaps. If a batch fails for good, the
 *   partition's later batches are renumbered from its sequence. Without a reachable controller
 *   (or one without InitProducerId) the producer takes a random 52-bit producer id at epoch 0:
 *   unique in practice, but not fenced against a zombie instance.
 */
import { TributaryError } from '@tributary/errors';
import type {
  ControllerServiceClient,
  InitProducerIdResponse__Output,
  ProducePartitionResponse__Output,
  ProduceRequest,
} from '@tributary/proto';
import { createClient, int64ToNumber } from '@tributary/proto';
import { encodeRecordBatch, type RecordHeader, type RecordInput } from '@tributary/record-batch';
import { BrokerConnections } from '../internal/connections';
import { LeaderCache, type MetadataSource } from '../internal/leader-cache';
import { ProduceStreamConnection } from '../internal/produce-stream';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../internal/retry';
import { type ClientOptions, withDefaults } from '../options';
import { Cluster } from '../rpc/cluster';
import { producerDefaults } from './options';
import type {
  ProducerMessage,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  ResolvedProducerOptions,
} from './types';

const INT32_MAX = 0x7fffffff;

interface SendCall {
  readonly results: RecordMetadata[];
  remaining: number;
  settled: boolean;
  resolve(r: RecordMetadata[]): void;
  reject(e: unknown): void;
}

class Batch {
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
  /** The error of the latest failed attempt: what the caller gets if retries run out. */
  lastError: TributaryError | undefined;
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
}

class PartitionQueue {
  open: Batch | undefined;
  readonly queue: Batch[] = [];
  nextSequence = 0;
  sequenceGeneration = 0;
  lingerTimer: NodeJS.Timeout | undefined;
  /** Set instead of lingerTimer when lingerMs is 0: seals once the current tick's sends are in. */
  sealImmediate?: NodeJS.Immediate | undefined;
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
  get inFlight(): number {
    let n = 0;
    for (const b of this.queue) if (b.inFlight) n++;
    return n;
  }
}

/** Options of `new Producer(...)`: the connection (bootstrap or a metadata source) and the producer settings. */
export interface ProducerConfig extends ClientOptions, ProducerOptions {
  /** Metadata from an existing client (its `Cluster.metadata`); default: a Cluster over `bootstrap`. */
  metadata?: MetadataSource;
  /** Calls the active controller (InitProducerId); default: through the same Cluster. */
  controller?: <T>(call: (client: ControllerServiceClient, deadline: Date) => Promise<T>) => Promise<T>;
}

export class Producer {
  readonly options: ResolvedProducerOptions;
  readonly #leaders: LeaderCache;
  readonly #connections = new BrokerConnections();
  readonly #streams = new Map<string, ProduceStreamConnection>();
  readonly #partitions = new Map<string, PartitionQueue>();
  readonly #cluster: Cluster | undefined;
  readonly #controller: ProducerConfig['controller'];
  #producerId = -1;
  #producerEpoch = -1;
  #connecting: Promise<void> | undefined;
  #drainScheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #retries = 0;
  /** Per-batch resend backoff: the shared policy with `retryBackoffMs`..`maxRetryBackoffMs`. */
  readonly #retryPolicy;

  constructor(config: ProducerConfig = {}) {
    this.options = producerDefaults(config);
    this.#retryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      initialRetryTimeMs: this.options.retryBackoffMs,
      maxRetryTimeMs: this.options.maxRetryBackoffMs,
    };
    let source = config.metadata;
    if (source === undefined) {
      const c = withDefaults(config);
      this.#cluster = new Cluster({
        bootstrap: c.bootstrap,
        requestTimeoutMs: c.requestTimeoutMs,
        retry: c.retry,
      });
      const cluster = this.#cluster;
      source = (topics) => cluster.metadata(topics);
    }
    this.#controller = config.controller;
    this.#leaders = new LeaderCache(source);
  }

  /** The producer id and epoch in use (-1 before connect, or when not idempotent). */
  get producerIdAndEpoch(): { producerId: number; producerEpoch: number } {
    return { producerId: this.#producerId, producerEpoch: this.#producerEpoch };
  }

  /** Batches re-sent after a retriable error so far. */
  get retries(): number {
    return this.#retries;
  }

  /** Gets a producer id (idempotence). Called by the first `send` if not called before. */
  connect(): Promise<void> {
    this.#connecting ??= this.#initProducerId();
    return this.#connecting;
  }

  /** Sends records to one topic; resolves when all are acknowledged (per `acks`), in order. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#closed) throw new TributaryError('BROKER_NOT_AVAILABLE', 'the producer is disconnected');
    await this.connect();
    const { topic, messages } = record;
    if (messages.length === 0) return [];
    const count = this.#leaders.knownPartitionCount(topic) ?? (await this.#leaders.partitionCount(topic));
    const now = Date.now();
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: SendCall = {
        results: new Array(messages.length),
        remaining: messages.length,
        settled: false,
        resolve,
        reject,
      };
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        let input: RecordInput;
        let partition: number;
        try {
          input = toInput(m, now);
          partition = this.#choosePartition(topic, m, input, count);
        } catch (err) {
          call.settled = true;
          reject(err);
          return;
        }
        this.#append(topic, partition, input, call, i);
      }
    });
  }

  /** Sends every record accumulated so far and waits until each is acknowledged or failed. */
  async flush(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const pq of this.#partitions.values()) {
      if (pq.open !== undefined) this.#seal(pq);
      for (const b of pq.queue) waits.push(b.whenDone());
    }
    this.#scheduleDrain();
    await Promise.all(waits);
  }

  /** Flushes, then closes every stream and connection. */
  async disconnect(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    for (const s of this.#streams.values()) s.close();
    this.#streams.clear();
    this.#connections.close();
    this.#cluster?.close();
  }

  async #initProducerId(): Promise<void> {
    if (!this.options.idempotent) return;
    const fallback = () => {
      this.#producerId = Math.floor(Math.random() * 2 ** 52);
      this.#producerEpoch = 0;
    };
    try {
      let res: InitProducerIdResponse__Output;
      if (this.#controller !== undefined) {
        res = await this.#controller(
          (client, deadline) =>
            new Promise((resolve, reject) =>
              client.initProducerId({}, { deadline }, (e, r) => (e ? reject(e) : resolve(r!))),
            ),
        );
      } else if (this.#cluster !== undefined) {
        const md = await this.#cluster.metadata([]);
        const c = md.controller;
        if (c === null || c === undefined) return fallback();
        const client = createClient('ControllerService', `${c.host}:${c.port}`);
        try {
          res = await new Promise((resolve, reject) =>
            client.initProducerId({}, { deadline: Date.now() + 5000 }, (e, r) =>
              e ? reject(e) : resolve(r!),
            ),
          );
        } finally {
          client.close();
        }
      } else return fallback();
      this.#producerId = int64ToNumber(res.producerId, 'producer_id');
      this.#producerEpoch = int64ToNumber(res.producerEpoch, 'producer_epoch');
    } catch {
      fallback();
    }
  }

  #choosePartition(topic: string, m: ProducerMessage, input: RecordInput, count: number): number {
    if (m.partition !== undefined) {
      if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= count)
        throw new TributaryError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `${topic} has no partition ${m.partition} (it has ${count})`,
        );
      return m.partition;
    }
    return this.options.partitioner({
      topic,
      key: input.key ?? null,
      value: input.value,
      partitionCount: count,
      availablePartitions: this.#leaders.available(topic),
    });
  }

  #append(topic: string, partition: number, input: RecordInput, call: SendCall, index: number): void {
    const key = `${topic}/${partition}`;
    let pq = this.#partitions.get(key);
    if (pq === undefined) {
      pq = new PartitionQueue(topic, partition);
      this.#partitions.set(key, pq);
    }
    let b = pq.open;
    if (b === undefined) {
      // As Kafka's accumulator: a batch that is ready but not sent yet (the partition's
      // in-flight limit holds it back) keeps taking records until it is full.
      const last = pq.queue.at(-1);
      if (last !== undefined && last.attempts === 0 && !last.inFlight && last.bytes < this.options.batchSize)
        b = last;
    }
    if (b === undefined) {
      b = new Batch(topic, partition, this.options.deliveryTimeoutMs);
      pq.open = b;
      const q = pq;
      if (this.options.lingerMs === 0) this.#scheduleSeal(q);
      else q.lingerTimer = setTimeout(() => this.#seal(q), this.options.lingerMs);
    }
    b.records.push(input);
    b.owners.push(call);
    b.indices.push(index);
    b.bytes += estimateSize(input);
    if (b.bytes >= this.options.batchSize) this.#seal(pq);
  }

  /**
   * lingerMs 0 still gathers the records sent in the same tick, but seals on setImmediate:
   * setTimeout(0) waits a whole millisecond, which showed up in every record's latency.
   */
  #scheduleSeal(pq: PartitionQueue): void {
    pq.sealImmediate = setImmediate(() => this.#seal(pq));
  }

  #seal(pq: PartitionQueue): void {
    if (pq.lingerTimer !== undefined) clearTimeout(pq.lingerTimer);
    if (pq.sealImmediate !== undefined) clearImmediate(pq.sealImmediate);
    pq.lingerTimer = undefined;
    pq.sealImmediate = undefined;
    const b = pq.open;
    if (b === undefined) return;
    pq.open = undefined;
    pq.queue.push(b);
    this.#scheduleDrain();
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled || this.#closed) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #stream(address: string): ProduceStreamConnection {
    let s = this.#streams.get(address);
    if (s === undefined || s.broken) {
      s = new ProduceStreamConnection(
        this.#connections.get(address),
        address,
        this.options.maxInFlightRequestsPerBroker,
        () => this.#scheduleDrain(),
      );
      this.#streams.set(address, s);
    }
    return s;
  }

  /** Sends what can be sent: per broker, the sendable head batches of its partitions. */
  #drain(): void {
    const now = Date.now();
    const byAddress = new Map<string, Batch[]>();
    let nextRetry = Number.POSITIVE_INFINITY;
    let needMetadata = false;
    const expired: [PartitionQueue, Batch][] = [];
    for (const pq of this.#partitions.values()) {
      let inFlight = pq.inFlight;
      for (const b of pq.queue) {
        if (b.inFlight) continue;
        if (now >= b.deadline && b.attempts > 0) {
          expired.push([pq, b]);
          continue;
        }
        if (b.retryAt > now) {
          nextRetry = Math.min(nextRetry, b.retryAt);
          break; // later batches of the partition wait behind it
        }
        if (inFlight >= this.options.maxInFlightBatchesPerPartition) break;
        const leader = this.#leaders.leader(b.topic, b.partition);
        if (leader?.address === undefined) {
          needMetadata = true;
          b.retryAt = now + this.options.retryBackoffMs;
          nextRetry = Math.min(nextRetry, b.retryAt);
          break;
        }
        const list = byAddress.get(leader.address) ?? [];
        list.push(b);
        byAddress.set(leader.address, list);
        inFlight++;
      }
    }
    if (needMetadata) void this.#leaders.refresh().catch(() => undefined);
    for (const [address, batches] of byAddress) {
      const stream = this.#stream(address);
      // One batch per partition per request (the broker refuses a partition twice); a
      // partition's next batch goes in the next request on the same stream, so it is appended
      // after the previous one.
      let remaining = batches;
      while (remaining.length > 0 && stream.canSend()) {
        const request: Batch[] = [];
        const rest: Batch[] = [];
        const partitions = new Set<string>();
        let size = 0;
        for (const b of remaining) {
          const key = `${b.topic}/${b.partition}`;
          if (
            !partitions.has(key) &&
            (request.length === 0 || size + b.bytes <= this.options.maxRequestSize)
          ) {
            partitions.add(key);
            size += b.bytes;
            request.push(b);
          } else rest.push(b);
        }
        this.#sendRequest(stream, request);
        remaining = rest;
      }
    }
    for (const [pq, b] of expired) {
      this.#fail(
        pq,
        b,
        b.lastError ??
          new TributaryError(
            'REQUEST_TIMED_OUT',
            `${b.topic}/${b.partition}: not delivered within deliveryTimeoutMs`,
          ),
      );
    }
    if (Number.isFinite(nextRetry)) {
      if (this.#retryTimer) clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.#scheduleDrain(), Math.max(1, nextRetry - Date.now()));
    }
  }

  #encode(pq: PartitionQueue, b: Batch): Buffer {
    if (
      b.encoded !== undefined &&
      (!this.options.idempotent || b.sequenceGeneration === pq.sequenceGeneration)
    )
      return b.encoded;
    const options: Parameters<typeof encodeRecordBatch>[1] = { compression: this.options.compression };
    if (this.options.idempotent) {
      b.baseSequence = pq.nextSequence;
      b.sequenceGeneration = pq.sequenceGeneration;
      pq.nextSequence = (pq.nextSequence + b.records.length) % (INT32_MAX + 1);
      options.producerId = this.#producerId;
      options.producerEpoch = this.#producerEpoch;
      options.baseSequence = b.baseSequence;
    }
    b.encoded = encodeRecordBatch(b.records, options);
    return b.encoded;
  }

  #sendRequest(stream: ProduceStreamConnection, batches: Batch[]): void {
    const topics = new Map<string, { partition: number; recordBatches: Buffer }[]>();
    for (const b of batches) {
      const pq = this.#partitions.get(`${b.topic}/${b.partition}`)!;
      let bytes: Buffer;
      try {
        bytes = this.#encode(pq, b);
      } catch (err) {
        this.#fail(pq, b, err);
        continue;
      }
      b.inFlight = true;
      b.attempts++;
      const list = topics.get(b.topic) ?? [];
      list.push({ partition: b.partition, recordBatches: bytes });
      topics.set(b.topic, list);
    }
    const sent = batches.filter((b) => b.inFlight);
    if (sent.length === 0) return;
    const request: ProduceRequest = {
      acks: this.options.acks,
      timeoutMs: this.options.ackTimeoutMs,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
    stream.send(request).then(
      (res) => {
        const results = new Map<string, ProducePartitionResponse__Output>();
        for (const t of res.topics) for (const p of t.partitions) results.set(`${t.topic}/${p.partition}`, p);
        for (const b of sent) {
          const r = results.get(`${b.topic}/${b.partition}`);
          if (r === undefined)
            this.#onError(b, new TributaryError('UNKNOWN_SERVER_ERROR', 'no result for the partition'));
          else if (r.errorCode !== 0) this.#onError(b, TributaryError.fromCode(r.errorCode, r.errorMessage));
          else this.#onSuccess(b, r);
        }
        this.#scheduleDrain();
      },
      (err: unknown) => {
        for (const b of sent) this.#onError(b, err);
        this.#scheduleDrain();
      },
    );
  }

  #onSuccess(b: Batch, r: ProducePartitionResponse__Output): void {
    const pq = this.#partitions.get(`${b.topic}/${b.partition}`)!;
    const base = int64ToNumber(r.baseOffset, 'base_offset');
    const appendTime = int64ToNumber(r.logAppendTimeMs, 'log_append_time_ms');
    for (let i = 0; i < b.records.length; i++) {
      const call = b.owners[i]!;
      call.results[b.indices[i]!] = {
        topic: b.topic,
        partition: b.partition,
        offset: base < 0 ? -1 : base + i,
        timestamp: appendTime >= 0 ? appendTime : (b.records[i]!.timestamp ?? -1),
      };
      if (--call.remaining === 0 && !call.settled) {
        call.settled = true;
        call.resolve(call.results);
      }
    }
    this.#remove(pq, b);
  }

  #onError(b: Batch, err: unknown): void {
    const pq = this.#partitions.get(`${b.topic}/${b.partition}`)!;
    b.inFlight = false;
    const e = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
    let retriable = e.retriable;
    if (e.errorName === 'OUT_OF_ORDER_SEQUENCE') {
      // A gap behind an earlier batch that failed and will be retried (or was renumbered).
      const stale = b.sequenceGeneration !== pq.sequenceGeneration;
      const earlierPending = pq.queue.indexOf(b) > 0;
      retriable = stale || earlierPending;
    }
    b.lastError = e;
    if (retriable && Date.now() < b.deadline) {
      this.#retries++;
      b.retryAt = Date.now() + retryDelayMs(this.#retryPolicy, b.attempts - 1);
      if (e.refreshMetadata) void this.#leaders.refresh().catch(() => undefined);
      return;
    }
    this.#fail(pq, b, e);
  }

  #fail(pq: PartitionQueue, b: Batch, err: unknown): void {
    if (this.options.idempotent && b.baseSequence >= 0 && b.sequenceGeneration === pq.sequenceGeneration) {
      // Not appended: renumber the partition's later batches from its sequence.
      pq.nextSequence = b.baseSequence;
      pq.sequenceGeneration++;
    }
    for (const call of b.owners) {
      if (!call.settled) {
        call.settled = true;
        call.reject(err);
      }
    }
    this.#remove(pq, b);
  }

  #remove(pq: PartitionQueue, b: Batch): void {
    const i = pq.queue.indexOf(b);
    if (i >= 0) pq.queue.splice(i, 1);
    b.finish();
  }
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

function toInput(m: ProducerMessage, now: number): RecordInput {
  let headers: RecordHeader[] | undefined;
  if (Array.isArray(m.headers)) headers = m.headers.map((h) => ({ key: h.key, value: toBuffer(h.value) }));
  else if (m.headers !== undefined)
    headers = Object.entries(m.headers).map(([key, value]) => ({ key, value: toBuffer(value) }));
  return {
    key: toBuffer(m.key),
    value: toBuffer(m.value),
    ...(headers === undefined ? {} : { headers }),
    timestamp: m.timestamp ?? now,
  };
}

function estimateSize(r: RecordInput): number {
  let n = 12 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers) for (const h of r.headers) n += 4 + h.key.length + (h.value?.length ?? 0);
  return n;
}
