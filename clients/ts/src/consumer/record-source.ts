/**
 * The narrow interface the consumer reads records through. The data plane's fetch loop
 * (consumer/fetcher*.ts) implements it; the consumer owns positions, delivery, commits and
 * groups, the source owns connections, leaders and credit, and hands batches over undecoded.
 */
import type { TributaryError } from '@tributary/errors';
import type { DecodedRecord } from '@tributary/record-batch';
import type { TopicPartition, TopicPartitionOffset } from './types';

/** Records of one partition from one fetch response. */
export interface SourceBatch {
  topic: string;
  partition: number;
  /** The position this was read from (echoed): drop it if the consumer has since seeked. */
  fetchOffset: number;
  /** Where the next read of this partition starts (after the last batch's last offset). */
  nextOffset: number;
  highWatermark: number;
  /**
   * Decodes the batch's records in offset order (they may start below fetchOffset: a batch is
   * never split); throws CorruptMessageError for a damaged batch. Called when the records are
   * handed out, not when fetched, and not cached here: a record then lives only as long as the
   * application holds it, and dies young (docs/performance.md, the warm consumer).
   */
  decode(): DecodedRecord[];
  /** Partition leader epoch of the batch (-1 unknown). */
  leaderEpoch: number;
  /** Record bytes this batch took from the prefetch budget; give them back with `release`. */
  bytes: number;
}

/** A partition the source had to stop reading. */
export interface SourcePartitionError extends TopicPartition {
  error: TributaryError;
  /** With OFFSET_OUT_OF_RANGE: the valid range. */
  logStartOffset: number;
  highWatermark: number;
}

export interface RecordSource {
  /** Starts reading partitions at the given offsets, or moves partitions already read. */
  add(partitions: readonly TopicPartitionOffset[]): void;
  /** Stops reading partitions; batches already delivered are not recalled. */
  remove(partitions: readonly TopicPartition[]): void;
  /**
   * Waits for the next fetched batches, or for an error of a partition (which the source then
   * stops reading until `add` again). Resolves `undefined` once closed.
   */
  next(): Promise<{ batches: SourceBatch[]; errors: SourcePartitionError[] } | undefined>;
  /** Returns a batch's prefetch budget once the consumer has delivered (or dropped) its records. */
  release(batch: SourceBatch): void;
  close(): Promise<void>;
}

/** How the consumer asks for its source (settings from ConsumerOptions). */
export interface RecordSourceSettings {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  partitionMaxBytes: number;
  maxPrefetchBytes: number;
}
