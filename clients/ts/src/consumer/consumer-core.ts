/**
 * The state the consumer's parts share (runner, iterator, pump, rebalance callbacks, commits):
 * the partitions read, the record source, the group session, and the few operations every part
 * needs, above all the one "seek, then tell the source" (`reposition`).
 */
import { TributaryError } from '@tributary/errors';
import type { DecodedRecord, OriginRecord } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import { bytesSerde } from '../serializers/serializers';
import type { ResolvedConsumerOptions } from './consumer-options';
import { startPositions } from './group-offsets';
import type { GroupSession } from './group-session';
import { PartitionQueue } from './partition-queue';
import { PartitionSet, tpKey } from './partition-set';
import type { RecordSource, SourceBatch } from './record-source';
import type { AutoOffsetReset, ConsumerMessage, TopicPartition, TopicPartitionOffset } from './types';

export class ConsumerCore<K, V> {
  readonly partitions = new PartitionSet();
  source: RecordSource | undefined;
  session: GroupSession | undefined;
  autoOffsetReset: AutoOffsetReset;
  closed = false;
  failure: TributaryError | undefined;
  /** Per partition key, the run() handler working on it now. */
  readonly inFlight = new Map<string, Promise<void>>();
  /** The deserializers are the identity (bytes): skip the calls on the hot path. */
  readonly #rawKeys: boolean;
  readonly #rawValues: boolean;
  /** The last commit queued: commits go out one at a time, in the order they were made. */
  #commitTail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly cluster: Cluster,
    readonly options: ResolvedConsumerOptions<K, V>,
  ) {
    this.autoOffsetReset = options.autoOffsetReset;
    this.#rawKeys = (options.keyDeserializer as unknown) === bytesSerde.deserialize;
    this.#rawValues = (options.valueDeserializer as unknown) === bytesSerde.deserialize;
  }

  /**
   * Runs `commit` once every commit queued before it has finished (failed or not). The
   * coordinator serves concurrent calls in any order, so an older position sent alongside a
   * newer one (an auto-commit tick beside a revoke's commit) could land last and move the
   * group's offset back: the next owner would read those records again.
   */
  inCommitOrder<T>(commit: () => Promise<T>): Promise<T> {
    const run = this.#commitTail.then(commit, commit);
    this.#commitTail = run.catch(() => undefined);
    return run;
  }

  /** Gives a batch's prefetch budget back to the source. */
  readonly release = (batch: SourceBatch): void => this.source?.release(batch);

  /** Moves `q` to `offset`, dropping what was fetched, and (unless paused) fetches from there. */
  reposition(q: PartitionQueue, offset: number): void {
    q.seek(offset, this.release);
    if (!q.paused) this.source?.add([{ topic: q.topic, partition: q.partition, offset }]);
  }

  /** Throws the consumer's failure; true once disconnected. */
  readonly stopped = (): boolean => {
    if (this.failure !== undefined) throw this.failure;
    return this.closed;
  };

  /** Records the consumer's failure (the first one) and wakes every waiter to see it. */
  fail(err: TributaryError): void {
    if (this.failure === undefined) this.failure = err;
    this.partitions.wake();
  }

  /** Starts reading these partitions at these positions (`committed`: their committed offsets). */
  addQueues(positions: readonly TopicPartitionOffset[], committed?: Map<string, number>): void {
    for (const p of positions) {
      const key = tpKey(p.topic, p.partition);
      this.partitions.set(
        new PartitionQueue(p.topic, p.partition, p.offset, committed?.get(key) ?? p.offset),
      );
    }
    if (positions.length > 0) this.source!.add(positions);
    this.partitions.wake();
  }

  /** Forgets a partition and the batches fetched for it. */
  dropQueue(q: PartitionQueue): void {
    q.clear(this.release);
    this.partitions.delete(q);
  }

  /** Committed offsets (when in a group), else / where none, autoOffsetReset. */
  startPositions(
    partitions: readonly TopicPartition[],
    committed?: Map<string, number>,
  ): Promise<TopicPartitionOffset[]> {
    return startPositions(this.cluster, this.options.groupId, this.autoOffsetReset, partitions, committed);
  }

  toMessage(q: PartitionQueue, r: DecodedRecord): ConsumerMessage<K, V> {
    // A record the fetcher decoded with its origin already is the message when keys and values
    // are raw bytes: one object less per record (docs/performance.md, the warm consumer).
    const decoded = r as Partial<OriginRecord>;
    if (
      this.#rawKeys &&
      this.#rawValues &&
      decoded.topic === q.topic &&
      decoded.partition === q.partition &&
      decoded.leaderEpoch === q.leaderEpoch
    )
      return r as OriginRecord as unknown as ConsumerMessage<K, V>;
    return {
      topic: q.topic,
      partition: q.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key:
        r.key === null ? null : this.#rawKeys ? (r.key as K) : this.options.keyDeserializer(r.key, q.topic),
      value:
        r.value === null
          ? null
          : this.#rawValues
            ? (r.value as V)
            : this.options.valueDeserializer(r.value, q.topic),
      headers: r.headers,
      leaderEpoch: q.leaderEpoch,
    };
  }

  /** Throws unless the consumer can still be started. */
  assertOpen(): void {
    if (this.closed)
      throw new TributaryError('INVALID_REQUEST', 'The consumer is disconnected; create a new one.');
  }
}
