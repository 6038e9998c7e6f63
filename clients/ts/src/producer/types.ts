/** Public types of the producer. */
import type { CompressionType } from '@tributary/record-batch';
import type { Partitioner } from '../partitioner/partitioner';

/** A record header: keys may repeat; a null value is allowed. */
export interface ProducerHeader {
  key: string;
  value: Buffer | string | null;
}

/** One record to send. */
export interface ProducerMessage {
  /** Decides the partition (murmur2, Kafka-compatible) unless `partition` is given; null = keyless. */
  key?: Buffer | string | null;
  /** The value; null is a tombstone. */
  value: Buffer | string | null;
  headers?: ProducerHeader[] | Record<string, Buffer | string | null>;
  /** Explicit partition; overrides the key. */
  partition?: number;
  /** CreateTime in ms since the epoch. @default Date.now() when sent */
  timestamp?: number;
}

/** `producer.send(...)`'s argument: records for one topic. */
export interface ProducerRecord {
  topic: string;
  messages: ProducerMessage[];
}

/** Where a record was written. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  /** The record's offset; -1 with acks = 0. */
  offset: number;
  /** The record's timestamp (CreateTime), or the broker's LogAppendTime when the topic uses it. */
  timestamp: number;
}

/** Producer settings (Kafka's names in parentheses). */
export interface ProducerOptions {
  /**
   * Replicas that must have a record before it is acknowledged (`acks`): -1 every in-sync
   * replica (no acknowledged record is lost while one in-sync replica survives), 1 the leader,
   * 0 none (no offsets, no errors reported).
   * @default -1
   */
  acks?: -1 | 0 | 1;
  /** Idempotence (`enable.idempotence`): retries never duplicate or reorder. Needs acks = -1; ignored otherwise. @default true */
  idempotent?: boolean;
  /** How long a partition's batch waits for more records before it is sent (`linger.ms`). @default 5 */
  lingerMs?: number;
  /** A partition's batch is sent once its records reach this many bytes (`batch.size`). @default 65536 */
  batchSize?: number;
  /**
   * Most record bytes in one produce request to a broker (`max.request.size`, Kafka's 1 MiB): with
   * `maxInFlightRequestsPerBroker` it bounds what is in flight to a broker, so the rest of
   * `bufferMemory` waits in larger batches (docs/scale.md, eighth round). A batch larger than it
   * travels alone. @default 1048576
   */
  maxRequestSize?: number;
  /** Produce requests in flight per broker on its ProduceStream. @default 5 */
  maxInFlightRequestsPerBroker?: number;
  /** Batches in flight per partition (`max.in.flight.requests.per.connection`). @default 5 */
  maxInFlightBatchesPerPartition?: number;
  /** Compression of batches. @default CompressionType.None */
  compression?: CompressionType;
  /** How long the broker may wait for replication with acks = -1, in ms (`request.timeout.ms`). @default 30000 */
  ackTimeoutMs?: number;
  /** Give up on a record this long after `send` (`delivery.timeout.ms`); retries stop then. @default 120000 */
  deliveryTimeoutMs?: number;
  /** First retry backoff in ms (`retry.backoff.ms`); doubles up to `maxRetryBackoffMs`, with jitter. @default 100 */
  retryBackoffMs?: number;
  /** Longest retry backoff in ms. @default 1000 */
  maxRetryBackoffMs?: number;
  /**
   * Most bytes of records the producer holds, accepted by `send` and not yet acknowledged or
   * failed (`buffer.memory`), counted as `batchSize` counts them. A send whose records do not fit
   * waits for room, in call order, up to `maxBlockMs`; a send larger than this fails at once with
   * MessageTooLargeError. `waitForBufferSpace()` lets a loop that does not await each send pause
   * while the buffer is full. @default 33554432 (32 MiB)
   */
  bufferMemory?: number;
  /**
   * How long a send may wait for room in `bufferMemory`, in ms (`max.block.ms`); then it rejects
   * with BufferExhaustedError and nothing of it is sent. 0: reject at once when there is no room.
   * Unlike Kafka's, it does not bound the wait for metadata. @default 60000
   */
  maxBlockMs?: number;
  /** Chooses the partition of records without one. @default createDefaultPartitioner() (murmur2 of the key, sticky for keyless) */
  partitioner?: Partitioner;
}

export interface ResolvedProducerOptions {
  acks: -1 | 0 | 1;
  idempotent: boolean;
  lingerMs: number;
  batchSize: number;
  maxRequestSize: number;
  maxInFlightRequestsPerBroker: number;
  maxInFlightBatchesPerPartition: number;
  compression: CompressionType;
  ackTimeoutMs: number;
  deliveryTimeoutMs: number;
  retryBackoffMs: number;
  maxRetryBackoffMs: number;
  bufferMemory: number;
  maxBlockMs: number;
  partitioner: Partitioner;
}
