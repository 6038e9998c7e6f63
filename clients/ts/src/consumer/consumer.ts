/**
 * The public Consumer: the API over parts that each do one job.
 *
 * - `subscribe({ topics })` joins `groupId` over a GroupSession stream (group-session.ts): the
 *   coordinator assigns partitions; rebalance.ts applies assignments and revocations
 *   (cooperative: only moving partitions pause). `assign()` reads chosen partitions without
 *   membership.
 * - Records arrive through a RecordSource (the data plane's fetch loop, fetcher.ts); the pump
 *   (record-pump.ts) moves them into per-partition queues, bounded by `maxPrefetchBytes`: the
 *   source stops fetching when the budget is spent, and delivery gives it back.
 * - `for await (const m of consumer)` (message-iterator.ts) yields records and waits for new ones.
 * - `run({ eachMessage | eachBatch })` (runner.ts) drives handlers, up to
 *   `partitionsConsumedConcurrently` partitions at once, records of one partition in order.
 * - Commits (offset-committer.ts): automatic every `autoCommitIntervalMs`, on revoke and on
 *   disconnect; `commit()` any time.
 * - State shared by the parts, and the one "seek then re-fetch": consumer-core.ts.
 */
import { TributaryError } from '@tributary/errors';
import type { Cluster } from '../rpc/cluster';
import { ConsumerCore } from './consumer-core';
import type { ResolvedConsumerOptions } from './consumer-options';
import { GroupSession } from './group-session';
import { iterateMessages } from './message-iterator';
import { commitWithRejoin } from './offset-committer';
import { tpKey } from './partition-set';
import { RebalanceHandler } from './rebalance';
import { pumpRecords } from './record-pump';
import type { RecordSource } from './record-source';
import { runHandlers } from './runner';
import type {
  ConsumerMessage,
  RebalanceListener,
  RunOptions,
  SubscribeOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './types';

export class Consumer<K = Buffer, V = Buffer> implements AsyncIterable<ConsumerMessage<K, V>> {
  readonly #core: ConsumerCore<K, V>;
  readonly #rebalance: RebalanceHandler<K, V>;
  #commitTimer: NodeJS.Timeout | undefined;
  #running = false;

  /** @internal Built by `Tributary.consumer()`. */
  constructor(
    private readonly cluster: Cluster,
    private readonly clientId: string,
    readonly options: ResolvedConsumerOptions<K, V>,
    private readonly sourceFactory: () => RecordSource,
  ) {
    this.#core = new ConsumerCore(cluster, options);
    this.#rebalance = new RebalanceHandler(this.#core, (offsets) => this.commit(offsets));
  }

  /** Sets the rebalance listener (replaces any earlier one). */
  onRebalance(listener: RebalanceListener): this {
    this.#rebalance.listener = listener;
    return this;
  }

  /** Joins the group and consumes the topics; resolves once the first assignment is applied. */
  async subscribe(options: SubscribeOptions): Promise<void> {
    const groupId = this.options.groupId;
    if (groupId === undefined) {
      throw new TributaryError(
        'INVALID_GROUP_ID',
        'subscribe() needs a groupId: pass it to consumer({ groupId }), or use assign() to read partitions without a group.',
      );
    }
    if (options.topics.length === 0)
      throw new TributaryError('INVALID_REQUEST', 'subscribe() needs at least one topic.');
    const core = this.#core;
    if (core.session !== undefined) {
      core.session.resubscribe(options.topics);
      return;
    }
    if (options.fromBeginning === true) core.autoOffsetReset = 'earliest';
    this.#start();
    core.session = new GroupSession(
      this.cluster,
      {
        groupId,
        groupInstanceId: this.options.groupInstanceId,
        clientId: this.clientId,
        topics: options.topics,
        assignors: this.options.assignors,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
        maxPollIntervalMs: this.options.maxPollIntervalMs,
      },
      {
        assigned: (_gen, partitions) => this.#rebalance.assigned(partitions),
        revoked: (_gen, partitions) => this.#rebalance.revoked(partitions),
        lost: () => this.#rebalance.lost(),
        owned: () => core.partitions.list(),
        failed: (err) => core.fail(err),
      },
    );
    await core.session.start();
  }

  /**
   * Reads these partitions without group membership. A partition without `offset` starts at
   * the group's committed offset (when `groupId` is set), else per `autoOffsetReset`.
   */
  async assign(partitions: ReadonlyArray<TopicPartition & { offset?: number }>): Promise<void> {
    const core = this.#core;
    if (core.session !== undefined)
      throw new TributaryError('INVALID_REQUEST', 'assign() cannot be mixed with subscribe().');
    this.#start();
    const wanted = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const gone = core.partitions.all().filter((q) => !wanted.has(q.key));
    core.source!.remove(gone);
    for (const q of gone) core.dropQueue(q);
    const fresh = partitions.filter((p) => core.partitions.get(p.topic, p.partition) === undefined);
    const explicit = fresh.filter((p) => p.offset !== undefined) as TopicPartitionOffset[];
    const resolved = await core.startPositions(fresh.filter((p) => p.offset === undefined));
    core.addQueues([...explicit, ...resolved]);
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return this.#core.partitions.list();
  }

  /** Moves a partition's position: the next record delivered is `offset` (rewind or skip). */
  seek(target: TopicPartitionOffset): void {
    const q = this.#core.partitions.get(target.topic, target.partition);
    if (q === undefined) {
      throw new TributaryError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `Cannot seek ${target.topic}-${target.partition}: it is not assigned to this consumer.`,
        { context: { topic: target.topic, partition: target.partition } },
      );
    }
    if (!Number.isSafeInteger(target.offset) || target.offset < 0)
      throw new TributaryError('INVALID_REQUEST', `Invalid offset ${target.offset}`);
    this.#core.reposition(q, target.offset);
  }

  /** Stops delivering (and fetching) these partitions until `resume()`. */
  pause(partitions: readonly TopicPartition[]): void {
    const core = this.#core;
    for (const tp of partitions) {
      const q = core.partitions.get(tp.topic, tp.partition);
      if (q === undefined || q.paused) continue;
      q.paused = true;
      // A busy partition's handler holds records past `consumed`: redeliver those after resume.
      core.reposition(q, q.busy ? q.consumed : q.position);
      core.source?.remove([tp]);
    }
  }

  /** Resumes paused partitions from their positions. */
  resume(partitions: readonly TopicPartition[]): void {
    const core = this.#core;
    for (const tp of partitions) {
      const q = core.partitions.get(tp.topic, tp.partition);
      if (q === undefined || !q.paused) continue;
      q.paused = false;
      core.source?.add([{ topic: q.topic, partition: q.partition, offset: q.position }]);
    }
    core.partitions.wake();
  }

  /** Paused partitions. */
  paused(): TopicPartition[] {
    return this.#core.partitions
      .all()
      .filter((q) => q.paused)
      .map((q) => ({ topic: q.topic, partition: q.partition }));
  }

  /** The position (next offset to deliver) of an assigned partition. */
  position(tp: TopicPartition): number | undefined {
    return this.#core.partitions.get(tp.topic, tp.partition)?.position;
  }

  /**
   * Commits consumed positions (or the given offsets: each the next record to read) to the
   * group. Without a group this throws INVALID_GROUP_ID.
   */
  commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    return commitWithRejoin(this.#core, offsets);
  }

  /** Drives handlers until `disconnect()`; rejects if the consumer fails (e.g. removed from the group for good). */
  async run(options: RunOptions<K, V>): Promise<void> {
    if (options.eachMessage === undefined && options.eachBatch === undefined) {
      throw new TributaryError('INVALID_REQUEST', 'run() needs eachMessage or eachBatch.');
    }
    if (this.#running) throw new TributaryError('INVALID_REQUEST', 'run() is already running.');
    this.#running = true;
    try {
      await runHandlers(this.#core, options, {
        commit: () => this.commit(),
        pause: (partitions) => this.pause(partitions),
      });
    } finally {
      this.#running = false;
    }
  }

  /** Yields records as they arrive and waits for more; `disconnect()` ends the loop. */
  [Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    return iterateMessages(this.#core);
  }

  /** Commits (auto-commit mode), leaves the group and closes the source. Idempotent. */
  async disconnect(): Promise<void> {
    const core = this.#core;
    if (core.closed) return;
    core.closed = true;
    clearInterval(this.#commitTimer);
    core.partitions.wake();
    await Promise.allSettled(core.inFlight.values());
    if (this.options.autoCommit && this.options.groupId !== undefined) await this.commit().catch(() => {});
    await core.session?.leave('consumer disconnected');
    await core.source?.close();
  }

  #start(): void {
    const core = this.#core;
    core.assertOpen();
    if (core.source !== undefined) return;
    core.source = this.sourceFactory();
    if (this.options.autoCommit && this.options.groupId !== undefined) {
      this.#commitTimer = setInterval(
        () => void this.commit().catch(() => {}),
        this.options.autoCommitIntervalMs,
      );
      this.#commitTimer.unref();
    }
    void pumpRecords(core);
  }
}
