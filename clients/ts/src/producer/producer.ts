/**
 * The producer (Kafka's `KafkaProducer`): the public face over three parts, one file each.
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
 * - Batching: `accumulator.ts` (records gather per partition until `batchSize` or `lingerMs`).
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
import { endSendSpans, type IndexedSend, SendTracing } from '../telemetry/send-tracing';
import { RecordAccumulator } from './accumulator';
import { type SendCall, toRecordInput } from './batch';
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
      const tracing = new SendTracing(topic, this.#clientId);
      // The sampled records' spans only, with their index (at 1 % about ten of a call of 1,000).
      let spans: IndexedSend[] | undefined;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        let input: RecordInput;
        let partition: number;
        try {
          input = toRecordInput(m, now);
          partition = this.#choosePartition(topic, m, input, count);
        } catch (err) {
          call.settled = true;
          if (spans) endSendSpans(spans, undefined, err);
          reject(err);
          return;
        }
        const traced = tracing.record(partition, input.key, input);
        if (traced !== undefined) {
          spans ??= [];
          spans.push({ index: i, span: traced.span });
        }
        this.#accumulator.append(topic, partition, input, call, i, traced?.context);
      }
      if (spans !== undefined) {
        const traced = spans;
        call.resolve = (results) => {
          endSendSpans(traced, results);
          resolve(results);
        };
        call.reject = (err) => {
          endSendSpans(traced, undefined, err);
          reject(err);
        };
      }
    });
  }

  /** Sends every record accumulated so far and waits until each is acknowledged or failed. */
  async flush(): Promise<void> {
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
