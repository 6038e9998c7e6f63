/**
 * The producer (Kafka's `KafkaProducer`): the public face over its parts, one file each.
 *
 * ```ts
 * const producer = new Producer({ bootstrap: ['127.0.0.1:9092'], lingerMs: 5 });
 * await producer.connect();
 * const [meta] = await producer.send({ topic: 'orders', messages: [{ key: 'k', value: 'v' }] });
 * await producer.flush();
 * await producer.disconnect();
 * ```
 *
 * - Partitioning (here): an explicit `partition`, else the `partitioner` (default: murmur2 of
 *   the key, sticky for keyless records, as Kafka's Java client), given the partitions with a
 *   live leader as the leader cache built them at the last metadata change.
 * - Batching: `accumulator.ts` (records gather per partition until `batchSize` or `lingerMs`),
 *   within `bufferMemory` bytes not yet acknowledged: `buffer-memory.ts`.
 * - Sending and retries: `sender.ts` (one ProduceRequest per broker over its ProduceStream;
 *   retriable errors retried per batch until `deliveryTimeoutMs`).
 * - Idempotence (default with acks = -1): `idempotence.ts` (producer id, sequence numbers).
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { TributaryError } from '@tributary/errors';
import type { RecordInput } from '@tributary/record-batch';
import { LeaderCache, type MetadataSource } from '../internal/leader-cache';
import { type ClientOptions, tokenSource, withDefaults } from '../options';
import { Cluster } from '../rpc/cluster';
import { ProducerMetrics } from '../telemetry/producer-metrics';
import { type RequestTraceContext, SendTracing } from '../telemetry/send-tracing';
import { RecordAccumulator } from './accumulator';
import { estimateSize, type SendCall, toRecordInput } from './batch';
import { type ControllerCall, Idempotence } from './idempotence';
import { producerDefaults } from './options';
import { Sender } from './sender';
import type {
  ProducerMessage,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  ResolvedProducerOptions,
} from './types';

/** Options of `new Producer(...)`: the connection (bootstrap or a metadata source) and the producer settings. */
export interface ProducerConfig extends ClientOptions, ProducerOptions {
  /** Metadata from an existing client (its `Cluster.metadata`); default: a Cluster over `bootstrap`. */
  metadata?: MetadataSource;
  /** Calls the active controller (InitProducerId); default: through the same Cluster. */
  controller?: ControllerCall;
  /** The transport of an existing client (`Tributary` passes its own); default: made from `tls`. */
  credentials?: ChannelCredentials;
}

export class Producer {
  readonly options: ResolvedProducerOptions;
  readonly #leaders: LeaderCache;
  readonly #cluster: Cluster | undefined;
  readonly #idempotence: Idempotence;
  readonly #accumulator: RecordAccumulator;
  readonly #sender: Sender;
  #connecting: Promise<void> | undefined;
  #closed = false;
  /** Resolves when the latest send has been accepted, queued for room, or has failed. */
  #acceptTurn: Promise<void> = Promise.resolve();
  /** `messaging.client.id` of send spans. */
  readonly #clientId: string;

  constructor(config: ProducerConfig = {}) {
    this.#clientId = config.clientId ?? 'tributary-ts';
    this.options = producerDefaults(config);
    let source = config.metadata;
    const c = withDefaults(config);
    const credentials = config.credentials ?? c.credentials;
    if (source === undefined) {
      this.#cluster = new Cluster({
        bootstrap: c.bootstrap,
        requestTimeoutMs: c.requestTimeoutMs,
        retry: c.retry,
        credentials,
        ...(c.tls === undefined ? {} : { tls: c.tls }),
        ...(c.token ? { token: c.token } : {}),
      });
      const cluster = this.#cluster;
      source = (topics) => cluster.metadata(topics);
    }
    this.#leaders = new LeaderCache(source);
    this.#idempotence = new Idempotence(
      this.options.idempotent,
      this.options.compression,
      config.controller,
      this.#cluster,
    );
    this.#accumulator = new RecordAccumulator(this.options, () => this.#sender.scheduleDrain());
    this.#sender = new Sender(
      this.options,
      this.#leaders,
      this.#accumulator,
      this.#idempotence,
      new ProducerMetrics(this.#clientId, config.meterProvider),
      credentials,
      config.token === undefined ? undefined : tokenSource(config.token),
    );
  }

  /** The producer id and epoch in use (-1 before connect, or when not idempotent). */
  get producerIdAndEpoch(): { producerId: number; producerEpoch: number } {
    return { producerId: this.#idempotence.producerId, producerEpoch: this.#idempotence.producerEpoch };
  }

  /** Batches re-sent after a retriable error so far. */
  get retries(): number {
    return this.#sender.retries;
  }

  /** Gets a producer id (idempotence). Called by the first `send` if not called before. */
  connect(): Promise<void> {
    this.#connecting ??= this.#idempotence.init();
    return this.#connecting;
  }

  /**
   * Sends records to one topic; resolves when all are acknowledged (per `acks`), in order.
   * Either every record of the call is accepted or none: a bad record rejects the call before
   * any is appended. The records wait for room in `bufferMemory` first if it is full (in call
   * order, up to `maxBlockMs`, then BufferExhaustedError); a call larger than `bufferMemory`
   * rejects at once with MessageTooLargeError.
   */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#closed) throw new TributaryError('BROKER_NOT_AVAILABLE', 'the producer is disconnected');
    // Sends are accepted in call order even when one waits for its topic's metadata and a later
    // one finds it known: each takes its turn after the previous send's (Kafka's `send` keeps
    // that order by blocking its thread).
    const previous = this.#acceptTurn;
    let done!: () => void;
    this.#acceptTurn = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await this.connect();
      const { topic, messages } = record;
      if (messages.length === 0) return [];
      const count = this.#leaders.knownPartitionCount(topic) ?? (await this.#leaders.partitionCount(topic));
      await previous;
      return this.#accept(topic, messages, count);
    } finally {
      done();
    }
  }

  /** Appends a send's records, or queues it for room in `bufferMemory`; settles with its acks. */
  #accept(topic: string, messages: ProducerMessage[], count: number): Promise<RecordMetadata[]> {
    const now = Date.now();
    const n = messages.length;
    const inputs = new Array<RecordInput>(n);
    const partitions = new Array<number>(n);
    let timestamps: (number | undefined)[] | undefined;
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      inputs[i] = toRecordInput(m, now, i);
      if (m.timestamp !== undefined) {
        timestamps ??= new Array(n);
        timestamps[i] = m.timestamp;
      }
      partitions[i] = this.#choosePartition(topic, m, inputs[i]!, count);
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const call: SendCall = {
        results: new Array(n),
        timestamp: now,
        timestamps,
        remaining: n,
        settled: false,
        resolve,
        reject,
      };
      const tracing = new SendTracing(topic, this.#clientId);
      // The sampled records' request contexts, in order (at 1 % about ten of a call of 1,000).
      let contexts: RequestTraceContext[] | undefined;
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const input = inputs[i]!;
        // Before sizing: a sampled record gets its `traceparent` header here.
        const traced = tracing.record(partitions[i]!, input.key, input, i);
        if (traced !== undefined) {
          contexts ??= [];
          contexts.push(traced);
        }
        bytes += estimateSize(input);
      }
      if (contexts !== undefined) {
        call.resolve = (results) => {
          tracing.end(results);
          resolve(results);
        };
        call.reject = (err) => {
          tracing.end(undefined, err);
          reject(err);
        };
      }
      const append = () => {
        // The k-th sampled record's context goes with it (index order).
        let k = 0;
        let nextTraced = contexts === undefined ? -1 : tracing.indexOf(0);
        for (let i = 0; i < n; i++) {
          let traced: RequestTraceContext | undefined;
          if (i === nextTraced) {
            traced = contexts![k++];
            nextTraced = k < contexts!.length ? tracing.indexOf(k) : -1;
          }
          this.#accumulator.append(topic, partitions[i]!, inputs[i]!, call, i, traced);
        }
      };
      const fail = (err: unknown) => {
        call.settled = true;
        call.reject(err);
      };
      try {
        this.#accumulator.memory.acquire(bytes, append, fail);
      } catch (err) {
        fail(err);
      }
    });
  }

  /** Bytes of records accepted by `send` and not yet acknowledged or failed (at most `bufferMemory`). */
  get bufferedBytes(): number {
    return this.#accumulator.memory.used;
  }

  /**
   * Resolves when `bufferMemory` has room and no send called before is waiting for it. A
   * loop that does not await each send's acknowledgements awaits this before each send, as a
   * Writable's 'drain', and so holds at most `bufferMemory` bytes plus one waiting send, with no
   * count of outstanding sends of its own:
   *
   * ```ts
   * for (const messages of chunks) {
   *   await producer.waitForBufferSpace();
   *   producer.send({ topic, messages }).catch(onError);
   * }
   * await producer.flush();
   * ```
   */
  async waitForBufferSpace(): Promise<void> {
    // A send still waiting for its turn has not taken its bytes yet: let it, then look.
    await this.#acceptTurn;
    await this.#accumulator.memory.whenRoom();
  }

  /**
   * Sends every record of the sends called before it, those still waiting for metadata or for
   * room in `bufferMemory` included, and waits until each is acknowledged or failed.
   */
  async flush(): Promise<void> {
    await this.#acceptTurn;
    await this.#accumulator.memory.queued();
    const done = this.#accumulator.sealAll();
    this.#sender.scheduleDrain();
    await done;
  }

  /** Flushes, then closes every stream and connection. */
  async disconnect(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    this.#sender.close();
    this.#cluster?.close();
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
}
