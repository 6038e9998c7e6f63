import { estimateRecordBytes } from '../producer/batch';
import { partitionForKey } from './murmur2';

/** What a partitioner is told about one record whose partition was not given explicitly. */
export interface PartitionerInput {
  /** The topic the record goes to. */
  readonly topic: string;
  /** The serialized key, or `null` for a keyless record. */
  readonly key: Uint8Array | null;
  /** The serialized value (its size drives sticky partitioning), or `null` for a tombstone. */
  readonly value: Uint8Array | null;
  /** Number of partitions of the topic (from metadata); always at least 1. */
  readonly partitionCount: number;
  /**
   * Partitions that currently have a live leader, when the producer knows them. Keyless records
   * go only to these; keyed records ignore it (a key must always map to the same partition).
   * The producer passes the same array object until metadata changes: a partitioner may cache
   * what it derives from it by identity.
   */
  readonly availablePartitions?: readonly number[] | undefined;
}

/**
 * Chooses the partition of a record that has no explicit `partition`. Called once per record on
 * the producer's hot path, so it must be cheap and synchronous. It must return an integer in
 * `[0, partitionCount)`.
 */
export type Partitioner = (input: PartitionerInput) => number;

/** Options of {@link createDefaultPartitioner}. */
export interface DefaultPartitionerOptions {
  /**
   * Bytes of keyless records sent to one partition before the sticky partitioner moves to
   * another, counted as the producer's `batchSize` counts them. Kafka's KIP-794 uniform sticky
   * partitioner switches after `batch.size` bytes, so that each move leaves one full batch behind;
   * the producer passes its `batchSize`.
   * @default 65536 (the producer's default `batchSize`)
   */
  stickyBatchBytes?: number;
  /** Random source in [0, 1), injectable for tests. @default Math.random */
  random?: () => number;
}

interface StickyState {
  partition: number;
  bytes: number;
}

/**
 * Kafka's default (built-in) partitioner:
 * - a keyed record goes to `toPositive(murmur2(key)) % partitionCount`, the partition the Java
 *   client and KafkaJS's default partitioner pick for the same key bytes;
 * - keyless records stick to one partition (chosen at random among available ones) until
 *   `stickyBatchBytes` of them have gone there, then move to another, so they fill whole batches
 *   instead of spreading one record per partition. Counted as the accumulator counts a batch, so
 *   with `stickyBatchBytes` = `batchSize` a move happens exactly when the batch is full: a smaller
 *   threshold (16 KiB before) made four batches where one would do, and four times as many
 *   partitions in flight for the same bytes.
 */
export function createDefaultPartitioner(options: DefaultPartitionerOptions = {}): Partitioner {
  const stickyBatchBytes = options.stickyBatchBytes ?? 65536;
  const random = options.random ?? Math.random;
  const sticky = new Map<string, StickyState>();
  // Membership of the available list, built once per list (once per metadata change).
  const availableSets = new WeakMap<readonly number[], ReadonlySet<number>>();
  const isAvailable = (available: readonly number[], partition: number): boolean => {
    let set = availableSets.get(available);
    if (set === undefined) {
      set = new Set(available);
      availableSets.set(available, set);
    }
    return set.has(partition);
  };

  const pick = (input: PartitionerInput, previous: number | undefined): number => {
    const available = input.availablePartitions;
    const candidates = available !== undefined && available.length > 0 ? available : undefined;
    const count = candidates?.length ?? input.partitionCount;
    if (count <= 1) return candidates?.[0] ?? 0;
    let index = Math.floor(random() * count);
    let partition = candidates?.[index] ?? index;
    if (partition === previous) {
      // Never stay on the same partition when another exists: step to the next one.
      index = (index + 1) % count;
      partition = candidates?.[index] ?? index;
    }
    return partition;
  };

  return (input) => {
    if (input.key !== null) return partitionForKey(input.key, input.partitionCount);
    const size = estimateRecordBytes(0, input.value?.length ?? 0);
    let state = sticky.get(input.topic);
    const stale =
      state !== undefined &&
      (state.partition >= input.partitionCount ||
        (input.availablePartitions !== undefined &&
          input.availablePartitions.length > 0 &&
          !isAvailable(input.availablePartitions, state.partition)));
    if (state === undefined || stale) {
      state = { partition: pick(input, undefined), bytes: 0 };
      sticky.set(input.topic, state);
    } else if (state.bytes >= stickyBatchBytes) {
      state.partition = pick(input, state.partition);
      state.bytes = 0;
    }
    state.bytes += size;
    return state.partition;
  };
}

/**
 * Keyed records by murmur2 like the default partitioner; keyless records round-robin one record
 * at a time (Kafka's `RoundRobinPartitioner` behaviour for keyless records).
 */
export function createRoundRobinPartitioner(): Partitioner {
  const counters = new Map<string, number>();
  return (input) => {
    if (input.key !== null) return partitionForKey(input.key, input.partitionCount);
    const n = counters.get(input.topic) ?? 0;
    counters.set(input.topic, n + 1);
    const available = input.availablePartitions;
    if (available !== undefined && available.length > 0) return available[n % available.length]!;
    return n % input.partitionCount;
  };
}
