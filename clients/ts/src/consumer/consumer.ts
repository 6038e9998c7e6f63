/**
 * The public Consumer.
 *
 * - `subscribe({ topics })` joins `groupId` over a GroupSession stream (group-session.ts): the
 *   coordinator assigns partitions; revocations are honoured by waiting for in-flight handlers
 *   of those partitions, committing their positions and answering revoke_done (cooperative:
 *   only moving partitions pause). `assign()` reads chosen partitions without membership.
 * - Records arrive through a RecordSource (the data plane's fetch loop) into per-partition
 *   queues, bounded by `maxPrefetchBytes`: the source stops fetching when the budget is spent,
 *   and delivery gives it back.
 * - `for await (const m of consumer)` yields records and waits for new ones (it never ends on
 *   its own; `disconnect()` ends it). A record counts as consumed when the loop asks for the
 *   next one, so an exception in the loop body leaves it uncommitted (at least once).
 * - `run({ eachMessage | eachBatch })` drives handlers, up to `partitionsConsumedConcurrently`
 *   partitions at once, records of one partition always in order.
 * - Commits: automatic every `autoCommitIntervalMs`, on revoke and on disconnect; `commit()` any time.
 */
import { TributaryError } from '@tributary/errors';
import type { DecodedRecord } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import { bytesSerde } from '../serializers/serializers';
import type { ResolvedConsumerOptions } from './consumer-options';
import { type CommitItem, commitOffsets, startPositions } from './group-offsets';
import { GroupSession } from './group-session';
import { PartitionQueue } from './partition-queue';
import { PartitionSet, tpKey } from './partition-set';
import type { RecordSource, SourcePartitionError } from './record-source';
import type {
  ConsumerBatch,
  ConsumerMessage,
  RebalanceListener,
  RunOptions,
  SubscribeOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './types';

/** Commit failures that a rejoin fixes: retried once the next assignment has arrived. */
const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);

export class Consumer<K = Buffer, V = Buffer> implements AsyncIterable<ConsumerMessage<K, V>> {
  private readonly partitions = new PartitionSet();
  private session: GroupSession | undefined;
  private source: RecordSource | undefined;
  private listeners: RebalanceListener = {};
  private autoOffsetReset: 'earliest' | 'latest' | 'none';
  private pumping = false;
  private closed = false;
  private failure: TributaryError | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private running = false;
  private inFlight = new Map<string, Promise<void>>();
  /** The deserializers are the identity (bytes): skip the calls on the hot path. */
  private readonly rawKeys: boolean;
  private readonly rawValues: boolean;

  /** @internal Built by `Tributary.consumer()`. */
  constructor(
    private readonly cluster: Cluster,
    private readonly clientId: string,
    readonly options: ResolvedConsumerOptions<K, V>,
    private readonly sourceFactory: () => RecordSource,
  ) {
    this.autoOffsetReset = options.autoOffsetReset;
    this.rawKeys = (options.keyDeserializer as unknown) === bytesSerde.deserialize;
    this.rawValues = (options.valueDeserializer as unknown) === bytesSerde.deserialize;
  }

  /** Sets the rebalance listener (replaces any earlier one). */
  onRebalance(listener: RebalanceListener): this {
    this.listeners = listener;
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
    if (this.session !== undefined) {
      this.session.resubscribe(options.topics);
      return;
    }
    if (options.fromBeginning === true) this.autoOffsetReset = 'earliest';
    this.start();
    this.session = new GroupSession(
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
        assigned: (_gen, partitions) => this.onAssigned(partitions),
        revoked: (_gen, partitions) => this.onRevoked(partitions),
        lost: () => this.onLost(),
        owned: () => this.partitions.all().map((q) => ({ topic: q.topic, partition: q.partition })),
        failed: (err) => this.fail(err),
      },
    );
    await this.session.start();
  }

  /**
   * Reads these partitions without group membership. A partition without `offset` starts at
   * the group's committed offset (when `groupId` is set), else per `autoOffsetReset`.
   */
  async assign(partitions: ReadonlyArray<TopicPartition & { offset?: number }>): Promise<void> {
    if (this.session !== undefined)
      throw new TributaryError('INVALID_REQUEST', 'assign() cannot be mixed with subscribe().');
    this.start();
    const wanted = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const gone = this.partitions.all().filter((q) => !wanted.has(q.key));
    this.source!.remove(gone);
    for (const q of gone) this.dropQueue(q);
    const fresh = partitions.filter((p) => !(this.partitions.get(p.topic, p.partition) !== undefined));
    const explicit = fresh.filter((p) => p.offset !== undefined) as TopicPartitionOffset[];
    const resolved = await this.startPositions(fresh.filter((p) => p.offset === undefined));
    this.addQueues([...explicit, ...resolved]);
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return this.partitions.all().map((q) => ({ topic: q.topic, partition: q.partition }));
  }

  /** Moves a partition's position: the next record delivered is `offset` (rewind or skip). */
  seek(target: TopicPartitionOffset): void {
    const q = this.partitions.get(target.topic, target.partition);
    if (q === undefined) {
      throw new TributaryError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `Cannot seek ${target.topic}-${target.partition}: it is not assigned to this consumer.`,
        { context: { topic: target.topic, partition: target.partition } },
      );
    }
    if (!Number.isSafeInteger(target.offset) || target.offset < 0)
      throw new TributaryError('INVALID_REQUEST', `Invalid offset ${target.offset}`);
    q.seek(target.offset, (b) => this.source?.release(b));
    if (!q.paused) this.source?.add([{ topic: q.topic, partition: q.partition, offset: target.offset }]);
  }

  /** Stops delivering (and fetching) these partitions until `resume()`. */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const q = this.partitions.get(tp.topic, tp.partition);
      if (q === undefined || q.paused) continue;
      q.paused = true;
      // A busy partition's handler holds records past `consumed`: redeliver those after resume.
      q.seek(q.busy ? q.consumed : q.position, (b) => this.source?.release(b));
      this.source?.remove([tp]);
    }
  }

  /** Resumes paused partitions from their positions. */
  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const q = this.partitions.get(tp.topic, tp.partition);
      if (q === undefined || !q.paused) continue;
      q.paused = false;
      this.source?.add([{ topic: q.topic, partition: q.partition, offset: q.position }]);
    }
    this.partitions.wake();
  }

  /** Paused partitions. */
  paused(): TopicPartition[] {
    return this.partitions
      .all()
      .filter((q) => q.paused)
      .map((q) => ({ topic: q.topic, partition: q.partition }));
  }

  /** The position (next offset to deliver) of an assigned partition. */
  position(tp: TopicPartition): number | undefined {
    return this.partitions.get(tp.topic, tp.partition)?.position;
  }

  /**
   * Commits consumed positions (or the given offsets: each the next record to read) to the
   * group. Without a group this throws INVALID_GROUP_ID.
   */
  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    const groupId = this.options.groupId;
    if (groupId === undefined) {
      throw new TributaryError(
        'INVALID_GROUP_ID',
        'commit() needs a groupId: pass it to consumer({ groupId }).',
      );
    }
    const items: CommitItem[] = (
      offsets ??
      this.partitions
        .all()
        .filter((q) => q.consumed !== q.committed)
        .map((q) => ({ topic: q.topic, partition: q.partition, offset: q.consumed }))
    ).map((it) => {
      const epoch = this.partitions.get(it.topic, it.partition)?.leaderEpoch ?? -1;
      return epoch >= 0 ? { ...it, leaderEpoch: epoch } : { ...it };
    });
    if (items.length === 0) return;
    const member = () => ({
      memberId: this.session?.memberId ?? '',
      generationId: this.session?.generationId ?? -1,
    });
    try {
      await commitOffsets(this.cluster, groupId, member, items);
    } catch (err) {
      // Membership moved under the commit (a rebalance, or a coordinator failover and rejoin):
      // wait for the new assignment, then commit what this member still owns.
      const session = this.session;
      if (
        session === undefined ||
        this.closed ||
        !(err instanceof TributaryError) ||
        !MEMBERSHIP_ERRORS.has(err.errorName)
      ) {
        throw err;
      }
      await session.nextAssignment(this.cluster.timeoutMs);
      const owned = items.filter((it) => this.partitions.get(it.topic, it.partition) !== undefined);
      if (owned.length > 0) await commitOffsets(this.cluster, groupId, member, owned);
    }
    for (const it of items) {
      const q = this.partitions.get(it.topic, it.partition);
      if (q !== undefined) q.committed = it.offset;
    }
  }

  /** Drives handlers until `disconnect()`; rejects if the consumer fails (e.g. removed from the group for good). */
  async run(options: RunOptions<K, V>): Promise<void> {
    if (options.eachMessage === undefined && options.eachBatch === undefined) {
      throw new TributaryError('INVALID_REQUEST', 'run() needs eachMessage or eachBatch.');
    }
    if (this.running) throw new TributaryError('INVALID_REQUEST', 'run() is already running.');
    this.running = true;
    const workers = Math.max(1, options.partitionsConsumedConcurrently ?? 1);
    try {
      await Promise.all(Array.from({ length: workers }, () => this.worker(options)));
    } finally {
      this.running = false;
    }
  }

  private async worker(options: RunOptions<K, V>): Promise<void> {
    for (;;) {
      const q = await this.partitions.nextReady(true, this.stopped);
      if (q === undefined) return;
      const work = this.process(q, options);
      this.inFlight.set(q.key, work);
      try {
        await work;
      } finally {
        q.busy = false;
        this.inFlight.delete(q.key);
        this.partitions.wake();
      }
    }
  }

  private async process(q: PartitionQueue, options: RunOptions<K, V>): Promise<void> {
    const startPosition = q.position;
    const records = q.take(Number.MAX_SAFE_INTEGER, (b) => this.source?.release(b));
    if (records.length === 0) return;
    this.session?.pollProgress();
    const messages = records.map((r) => this.toMessage(q, r));
    try {
      if (options.eachBatch !== undefined) {
        let resolved = q.consumed;
        const batch: ConsumerBatch<K, V> = {
          topic: q.topic,
          partition: q.partition,
          messages,
          highWatermark: q.highWatermark,
        };
        await options.eachBatch({
          batch,
          resolveOffset: (offset) => {
            resolved = Math.max(resolved, offset + 1);
            if (this.partitions.current(q)) q.consumed = resolved;
          },
          commit: () => this.commit(),
        });
        if (this.partitions.current(q) && q.position !== startPosition)
          q.consumed = Math.max(q.consumed, messages[messages.length - 1]!.offset + 1);
        return;
      }
      for (const message of messages) {
        if (!this.partitions.current(q) || q.paused || this.closed) break;
        if ((message.offset & 0xff) === 0) await this.partitions.yieldToEventLoop();
        const seeks = q.seeks;
        let pausedHere = false;
        await options.eachMessage!({
          message,
          pause: () => {
            pausedHere = true;
          },
        });
        // A seek inside the handler moved the position: deliver from there, not from this batch.
        if (q.seeks !== seeks) break;
        q.consumed = message.offset + 1;
        if (pausedHere) {
          this.pause([{ topic: q.topic, partition: q.partition }]);
          break;
        }
      }
    } catch (err) {
      // Redeliver from the first unconsumed record, after the handler failed.
      if (this.partitions.current(q)) {
        q.seek(q.consumed, (b) => this.source?.release(b));
        if (!q.paused) this.source?.add([{ topic: q.topic, partition: q.partition, offset: q.consumed }]);
      }
      throw err;
    }
  }

  /** Yields records as they arrive and waits for more; `disconnect()` ends the loop. */
  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerMessage<K, V>> {
    let last: { q: PartitionQueue; offset: number } | undefined;
    try {
      for (;;) {
        if (last !== undefined && this.partitions.current(last.q))
          last.q.consumed = Math.max(last.q.consumed, last.offset + 1);
        last = undefined;
        const q = await this.partitions.nextReady(false, this.stopped);
        if (q === undefined) return;
        const [record] = q.take(1, (b) => this.source?.release(b));
        if (record === undefined) continue;
        this.session?.pollProgress();
        last = { q, offset: record.offset };
        yield this.toMessage(q, record);
      }
    } finally {
      // Leaving the loop with `break` consumes the last record too.
      if (last !== undefined && this.partitions.current(last.q))
        last.q.consumed = Math.max(last.q.consumed, last.offset + 1);
    }
  }

  /** Commits (auto-commit mode), leaves the group and closes the source. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.commitTimer);
    this.partitions.wake();
    await Promise.allSettled(this.inFlight.values());
    if (this.options.autoCommit && this.options.groupId !== undefined) await this.commit().catch(() => {});
    await this.session?.leave('consumer disconnected');
    await this.source?.close();
  }

  private toMessage(q: PartitionQueue, r: DecodedRecord): ConsumerMessage<K, V> {
    return {
      topic: q.topic,
      partition: q.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key === null ? null : this.rawKeys ? (r.key as K) : this.options.keyDeserializer(r.key, q.topic),
      value:
        r.value === null
          ? null
          : this.rawValues
            ? (r.value as V)
            : this.options.valueDeserializer(r.value, q.topic),
      headers: r.headers,
      leaderEpoch: q.leaderEpoch,
    };
  }

  private start(): void {
    if (this.closed)
      throw new TributaryError('INVALID_REQUEST', 'The consumer is disconnected; create a new one.');
    if (this.source !== undefined) return;
    this.source = this.sourceFactory();
    if (this.options.autoCommit && this.options.groupId !== undefined) {
      this.commitTimer = setInterval(
        () => void this.commit().catch(() => {}),
        this.options.autoCommitIntervalMs,
      );
      this.commitTimer.unref();
    }
    void this.pump();
  }

  /** Moves fetched batches from the source into partition queues. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        const got = await this.source!.next();
        if (got === undefined) break;
        for (const b of got.batches) {
          const q = this.partitions.get(b.topic, b.partition);
          if (q === undefined || q.paused || !q.accept(b)) this.source!.release(b);
        }
        for (const e of got.errors) await this.onSourceError(e);
        this.partitions.wake();
      }
    } catch (err) {
      this.fail(
        err instanceof TributaryError
          ? err
          : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err }),
      );
    } finally {
      this.pumping = false;
    }
  }

  private async onSourceError(e: SourcePartitionError): Promise<void> {
    const q = this.partitions.get(e.topic, e.partition);
    if (q === undefined) return;
    if (e.error.errorName === 'OFFSET_OUT_OF_RANGE' && this.autoOffsetReset !== 'none') {
      const offset = this.autoOffsetReset === 'earliest' ? e.logStartOffset : e.highWatermark;
      if (offset >= 0) {
        q.seek(offset, (b) => this.source?.release(b));
        this.source!.add([{ topic: q.topic, partition: q.partition, offset }]);
        return;
      }
    }
    if (!e.error.retriable) {
      this.fail(e.error);
      return;
    }
    q.seek(q.position, (b) => this.source?.release(b));
    this.source!.add([{ topic: q.topic, partition: q.partition, offset: q.position }]);
  }

  /** Throws the consumer's failure; true once disconnected. */
  private readonly stopped = (): boolean => {
    if (this.failure !== undefined) throw this.failure;
    return this.closed;
  };

  private fail(err: TributaryError): void {
    if (this.failure === undefined) this.failure = err;
    this.partitions.wake();
  }

  private addQueues(positions: readonly TopicPartitionOffset[], committed?: Map<string, number>): void {
    for (const p of positions) {
      const key = tpKey(p.topic, p.partition);
      this.partitions.set(
        new PartitionQueue(p.topic, p.partition, p.offset, committed?.get(key) ?? p.offset),
      );
    }
    if (positions.length > 0) this.source!.add(positions);
    this.partitions.wake();
  }

  private dropQueue(q: PartitionQueue): void {
    q.clear((b) => this.source?.release(b));
    this.partitions.delete(q);
  }

  /** Committed offsets (when in a group), else / where none, autoOffsetReset. */
  private startPositions(partitions: readonly TopicPartition[], committed?: Map<string, number>) {
    return startPositions(this.cluster, this.options.groupId, this.autoOffsetReset, partitions, committed);
  }

  private async onAssigned(partitions: TopicPartition[]): Promise<void> {
    const target = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    const removed = this.partitions.all().filter((q) => !target.has(q.key));
    if (removed.length > 0)
      await this.onRevoked(
        removed.map((q) => ({ topic: q.topic, partition: q.partition })),
        false,
      );
    const added = partitions.filter((p) => !(this.partitions.get(p.topic, p.partition) !== undefined));
    // Positions reset by autoOffsetReset count as uncommitted (-1), so the next commit records
    // them and the group shows lag for partitions nothing was read from yet (as Kafka does).
    const committed = new Map<string, number>();
    const positions = await this.startPositions(added, committed);
    this.addQueues(
      positions,
      new Map(
        positions.map((p) => [tpKey(p.topic, p.partition), committed.get(tpKey(p.topic, p.partition)) ?? -1]),
      ),
    );
    if (added.length > 0) await this.listeners.onPartitionsAssigned?.(added);
  }

  private async onRevoked(partitions: TopicPartition[], commit = true): Promise<void> {
    const qs = partitions
      .map((p) => this.partitions.get(p.topic, p.partition))
      .filter((q): q is PartitionQueue => q !== undefined);
    if (qs.length === 0) return;
    for (const q of qs) q.paused = true;
    this.source?.remove(qs);
    await Promise.allSettled(qs.map((q) => this.inFlight.get(q.key)));
    await this.listeners.onPartitionsRevoked?.(partitions);
    if (commit && this.options.autoCommit) {
      const items = qs
        .filter((q) => q.consumed !== q.committed)
        .map((q) => ({ topic: q.topic, partition: q.partition, offset: q.consumed }));
      await this.commit(items).catch(() => {});
    }
    for (const q of qs) this.dropQueue(q);
  }

  private async onLost(): Promise<void> {
    const lost = this.assignment();
    this.source?.remove(lost);
    for (const q of this.partitions.all()) this.dropQueue(q);
    if (lost.length > 0) await this.listeners.onPartitionsLost?.(lost);
  }
}
