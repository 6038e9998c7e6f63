/** Public types of the consumer. */
import type { Deserializer } from '../serializers/serializers';

/** A record header: keys may repeat; a null value is allowed. */
export interface MessageHeader {
  key: string;
  value: Buffer | null;
}

/** One consumed record. */
export interface ConsumerMessage<K = Buffer, V = Buffer> {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch (CreateTime, or LogAppendTime if the topic uses it). */
  timestamp: number;
  /** Deserialized key; null for a keyless record. */
  key: K | null;
  /** Deserialized value; null for a tombstone. */
  value: V | null;
  headers: MessageHeader[];
  /** The leader epoch the record was written under (-1 when unknown). */
  leaderEpoch: number;
}

/** The records of one partition handed to `eachBatch`, in offset order. */
export interface ConsumerBatch<K = Buffer, V = Buffer> {
  topic: string;
  partition: number;
  messages: Array<ConsumerMessage<K, V>>;
  /** The partition's high watermark when fetched: lag = highWatermark - (last offset + 1). */
  highWatermark: number;
}

/** A topic and one partition of it. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A partition with a position (the offset of the next record to read). */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

/** Where to start a partition that has no committed offset (Kafka `auto.offset.reset`). */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

/** Options of `tributary.consumer(options)`. */
export interface ConsumerOptions<K = Buffer, V = Buffer> {
  /** The consumer group. Required for `subscribe()`; optional with `assign()` (then commits go to it). */
  groupId?: string;
  /** Static membership id (Kafka `group.instance.id`): a restart within the session timeout keeps the assignment. @default none (dynamic member) */
  groupInstanceId?: string;
  /** Without a heartbeat for this long (ms) the coordinator removes the member. @default 10000 */
  sessionTimeoutMs?: number;
  /** How long (ms) the member may take to release revoked partitions. @default 30000 */
  rebalanceTimeoutMs?: number;
  /** Without any record consumed for this long (ms) while records are waiting, the member is removed. @default 300000 */
  maxPollIntervalMs?: number;
  /** Assignors in preference order. @default ['cooperative-sticky', 'range', 'roundrobin'] */
  assignors?: readonly string[];
  /** Commit consumed positions automatically. @default true */
  autoCommit?: boolean;
  /** How often (ms) automatic commits happen. @default 5000 */
  autoCommitIntervalMs?: number;
  /** Start position of partitions without a committed offset. `subscribe({ fromBeginning: true })` means 'earliest'. @default 'latest' */
  autoOffsetReset?: AutoOffsetReset;
  /** Longest a fetch waits (ms) for `minBytes` to accumulate. @default 500 */
  maxWaitMs?: number;
  /** A fetch answers once this many bytes are ready. @default 1 */
  minBytes?: number;
  /** Soft cap on one fetch response's bytes. @default 4194304 (4 MiB) */
  maxBytes?: number;
  /** Soft cap on one partition's bytes per fetch response. @default 1048576 (1 MiB) */
  partitionMaxBytes?: number;
  /** Bound on fetched-but-not-consumed bytes held in memory (prefetch). @default 16777216 (16 MiB) */
  maxPrefetchBytes?: number;
  /** Turns key bytes into keys. @default bytes (Buffer, unchanged) */
  keyDeserializer?: Deserializer<K>;
  /** Turns value bytes into values. @default bytes (Buffer, unchanged) */
  valueDeserializer?: Deserializer<V>;
}

/** What `subscribe()` takes. */
export interface SubscribeOptions {
  topics: readonly string[];
  /** Partitions with no committed offset start at the earliest offset. @default false (autoOffsetReset) */
  fromBeginning?: boolean;
}

/** Rebalance listener callbacks; each may be async (the rebalance waits for it). */
export interface RebalanceListener {
  /** Partitions this member now owns in addition to the ones it had. */
  onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Partitions about to move away: positions are committed right after this returns. */
  onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Partitions lost without a chance to commit (the member was removed from the group). */
  onPartitionsLost?: (partitions: TopicPartition[]) => void | Promise<void>;
}

/** Arguments of an `eachMessage` handler. */
export interface EachMessagePayload<K, V> {
  message: ConsumerMessage<K, V>;
  /** Pause the message's partition: stops delivery until `resume()`; the message is not marked consumed if it throws. */
  pause: () => void;
}

/** Arguments of an `eachBatch` handler. */
export interface EachBatchPayload<K, V> {
  batch: ConsumerBatch<K, V>;
  /** Mark a record consumed (its offset + 1 becomes the position to commit). All are resolved after the handler returns. */
  resolveOffset: (offset: number) => void;
  /** Commit consumed positions now. */
  commit: () => Promise<void>;
}

/** What `run()` takes. */
export interface RunOptions<K, V> {
  /** Called for each record, in offset order per partition. */
  eachMessage?: (payload: EachMessagePayload<K, V>) => Promise<void> | void;
  /**
   * Called with the fetched records of one partition: a stored batch, and the whole batches that
   * follow it while fewer than 500 records are in hand (as Kafka's `max.poll.records`).
   */
  eachBatch?: (payload: EachBatchPayload<K, V>) => Promise<void> | void;
  /** How many partitions' handlers may run at once (records of one partition are never concurrent). @default 1 */
  partitionsConsumedConcurrently?: number;
}
