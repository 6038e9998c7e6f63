/**
 * The log of one partition replica: an ordered list of segments, the last one active (Kafka's
 * `UnifiedLog` + `LocalLog`, liftbridge's `CommitLog`). This is the contract the produce and
 * fetch handlers and the replication layer use; the narrower `PartitionReader` is what a fetch
 * handler should depend on.
 *
 * Why one file of ~500 lines: it is the front of one concept, the log, and its parts already
 * live beside it (log-loader.ts recovery, log-validator.ts checks, log-flusher.ts fsyncs,
 * retention.ts, leader-epoch-cache.ts, segment.ts); what is left here is the contract and the
 * wiring of those parts, which reads best in one place.
 *
 * On disk: a directory `<topic>-<partition>` of segments (`<base>.log`, `.index`, `.timeindex`,
 * see segment.ts), `leader-epoch-checkpoint` (replaced atomically; see file-names.ts), and
 * producer-state snapshots `<offset>.snapshot` (producer-snapshot-file.ts): one at each segment
 * roll (at the new segment's base offset) and one at close (at the log end offset); truncation
 * deletes those above the new end, retention those below the new start. The recovery point, the
 * high watermark and the clean-shutdown marker are the log manager's: one file each for every
 * log of the data directory (log-manager.ts), handed to `open` and told of changes.
 *
 * Invariants:
 * - Offsets are dense: segment i+1 starts where segment i ends; `logStartOffset` is the first
 *   segment's base offset, `logEndOffset` the active segment's next offset.
 * - logStartOffset <= highWatermark <= logEndOffset; recoveryPoint <= logEndOffset.
 * - Everything below the recovery point is fsynced, log and index files alike. The checkpointed
 *   recovery point lags the in-memory one (the log manager writes it when a whole segment fell
 *   below it: the segment holding it is always scanned on recovery) and never exceeds it.
 * - Leader epochs in the cache never start beyond the log end offset.
 * - `producerState` reflects every batch of the log (it is updated by every append here, and
 *   reloaded after a truncation); a snapshot at offset O reflects the batches below O.
 *
 * Concurrency contract: one PartitionLog per directory per process. Every method is synchronous
 * except `open`, `flushAsync` and `delete`, so on Node's single thread appends, truncations and
 * reads never interleave mid-operation: no lock is needed, a reader runs entirely before or after
 * an append and so only ever sees whole batches, and the log end offset moves only after the bytes
 * are written. A read snapshots the end it may read up to and never blocks an append beyond one
 * pread. `flushAsync` fsyncs off the event loop while appends go on; the recovery point it
 * advances covers only what was appended before it started, and it advances nothing if the log
 * was truncated meanwhile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OffsetOutOfRangeError, TributaryError } from '@tributary/errors';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '@tributary/topic-config';
import { fsyncDir } from './checkpoint-file';
import { type Clock, systemClock } from './clock';
import { deletedDirName } from './file-names';
import type { EpochEndOffset, EpochEntry, LeaderEpochCache } from './leader-epoch-cache';
import { LogFlusher, type RecoveryPointChange } from './log-flusher';
import { type LoadOptions, loadLog, type RecoveryReport } from './log-loader';
import { assignOffsets, checkFollowerOffsets, type ValidatedBatches, validateBatches } from './log-validator';
import { type AppendInfo, notify, type PartitionReader, type ReadBatches } from './partition-reader';
import { deleteProducerSnapshot, listProducerSnapshots } from './producer-snapshot-file';
import { ProducerStateManager } from './producer-state';
import { loadProducerState, type ProducerStateLoad, writeSnapshot } from './producer-state-loader';
import { segmentsToDelete } from './retention';
import { type AppendedBatch, Segment } from './segment';
import { floorSegmentIndex } from './segment-list';
import { UnreplicatedTail } from './unreplicated-tail';

export interface PartitionLogOptions extends LoadOptions {
  /** The partition's directory (created if absent). */
  readonly dir: string;
  readonly config?: LogConfig;
  readonly clock?: Clock;
  /** Errors of background work (flush after a roll); defaults to a process warning. */
  readonly onBackgroundError?: (err: unknown) => void;
  /**
   * The recovery point moved past a segment's end (worth checkpointing) or back (a truncation:
   * the checkpoint must not stay above it; called before the truncating call returns).
   */
  readonly onRecoveryPointChange?: (log: PartitionLog, change: RecoveryPointChange) => void;
}

const EMPTY = Buffer.alloc(0);
/** The producer state load of a new log: nothing on disk to load. */
const NO_PRODUCER_STATE: ProducerStateLoad = {
  snapshotOffset: undefined,
  corruptSnapshots: [],
  batchesScanned: 0,
  producers: 0,
  durationMs: 0,
};
const INT32_MAX = 0x7fffffff;

export class PartitionLog implements PartitionReader {
  readonly dir: string;
  readonly recoveryReport: RecoveryReport;
  /** Idempotent-producer state of the log's batches (sequence checks happen in the replica layer). */
  readonly producerState = new ProducerStateManager();
  /** How the producer state was last loaded (at open, or after the latest truncation). */
  producerStateLoad: ProducerStateLoad;
  #config: LogConfig;
  readonly #clock: Clock;
  readonly #segments: Segment[];
  readonly #epochs: LeaderEpochCache;
  readonly #onBackgroundError: (err: unknown) => void;
  readonly #appendListeners = new Set<(logEndOffset: number) => void>();
  readonly #hwListeners = new Set<(highWatermark: number) => void>();
  #highWatermark: number;
  readonly #flusher: LogFlusher;
  /** The latest leader append until the followers have it (unreplicated-tail.ts). */
  readonly #tail = new UnreplicatedTail();
  #closed = false;
  /** `flushBeforeClose` began: nothing may change the log any more (see there). */
  #closing = false;
  /**
   * The log end offset of the newest snapshot on disk that holds the producer state as it is:
   * `close` skips its snapshot when nothing was appended since (a restarted idle broker's
   * shutdown rewrote a file per log for nothing).
   */
  #snapshotOffset: number | undefined;

  private constructor(
    options: PartitionLogOptions,
    config: LogConfig,
    clock: Clock,
    loaded: Awaited<ReturnType<typeof loadLog>>,
  ) {
    this.dir = options.dir;
    this.#config = config;
    this.#clock = clock;
    this.#segments = loaded.segments;
    this.#epochs = loaded.epochCache;
    this.recoveryReport = loaded.report;
    this.#highWatermark = loaded.highWatermark;
    const onRecoveryPointChange = options.onRecoveryPointChange;
    this.#flusher = new LogFlusher(
      this.#segments,
      clock,
      loaded.recoveryPoint,
      onRecoveryPointChange && ((change) => onRecoveryPointChange(this, change)),
    );
    this.#onBackgroundError =
      options.onBackgroundError ??
      ((err) => process.emitWarning(`partition log ${this.dir}: ${String(err)}`));
    this.producerStateLoad = loaded.fresh ? NO_PRODUCER_STATE : this.#loadProducerState();
  }

  /** Opens (creating if absent) and recovers the log in `options.dir`; see log-loader.ts. */
  static async open(options: PartitionLogOptions): Promise<PartitionLog> {
    const config = options.config ?? DEFAULT_LOG_CONFIG;
    const clock = options.clock ?? systemClock;
    const loaded = await loadLog(options.dir, config, clock.now(), options);
    return new PartitionLog(options, config, clock, loaded);
  }

  get config(): LogConfig {
    return this.#config;
  }

  /** New settings apply from the next append (index interval: from the next segment). */
  updateConfig(config: LogConfig): void {
    this.#config = config;
  }

  /** First offset still in the log. */
  get logStartOffset(): number {
    return this.#segments[0]!.baseOffset;
  }

  /** Offset the next record appended gets. */
  get logEndOffset(): number {
    return this.#active.nextOffset;
  }

  /** Offset below which every record is replicated to the ISR; consumers read only below it. */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  /** Set by the replication layer; clamped to [logStartOffset, logEndOffset]. Checkpointed by the log manager. */
  set highWatermark(offset: number) {
    const clamped = Math.min(Math.max(offset, this.logStartOffset), this.logEndOffset);
    if (clamped === this.#highWatermark) return;
    this.#highWatermark = clamped;
    this.#tail.committed(clamped);
    notify(this.#hwListeners, clamped);
  }

  /** Offset below which everything is fsynced. */
  get recoveryPoint(): number {
    return this.#flusher.recoveryPoint;
  }

  /**
   * The recovery point, for a checkpoint to hold: what recovery will no longer scan below it must
   * be durable first, so the leader epochs written without fsync are synced here.
   */
  recoveryPointToCheckpoint(): number {
    this.#epochs.sync();
    return this.#flusher.recoveryPoint;
  }

  /** Bytes of batches in all segments. */
  get size(): number {
    return this.#segments.reduce((sum, s) => sum + s.size, 0);
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }

  /** The latest leader epoch in the log, if any. */
  get latestEpoch(): number | undefined {
    return this.#epochs.latestEpoch;
  }

  get epochEntries(): readonly EpochEntry[] {
    return this.#epochs.entries;
  }

  /**
   * The checks `append` (path 'leader': whole, `max.message.bytes`, CRC, counts, no control batch) or
   * `appendAsFollower` (path 'follower': the same without the size limit) make before writing,
   * with the parsed headers. A caller that needs the headers first (the producer-state check)
   * validates here and passes the result to the append, so each batch header is parsed once.
   */
  validate(batches: Buffer, path: 'leader' | 'follower'): ValidatedBatches {
    return validateBatches(
      batches,
      path === 'leader' ? this.#config.maxMessageBytes : Number.MAX_SAFE_INTEGER,
      path === 'leader',
    );
  }

  /**
   * Leader path. `batches` holds one or more v2 record batches as the producer sent them. Every
   * batch is validated first (whole, `max.message.bytes`, CRC, counts) and nothing is written if
   * one fails (CorruptMessageError, MessageTooLargeError). Then offsets are assigned densely from
   * the log end offset and stamped in place with `leaderEpoch` (and LogAppendTime for such
   * topics), and the buffer is written as is. A `leaderEpoch` older than the log's latest is
   * refused (FENCED_LEADER_EPOCH). May roll the active segment first, and fsync when
   * `flush.messages` is reached. Listeners of `onAppend` are told the new log end offset.
   */
  append(batches: Buffer, leaderEpoch: number, validated?: ValidatedBatches): AppendInfo {
    this.#checkWritable();
    const latest = this.#epochs.latestEpoch;
    if (latest !== undefined && leaderEpoch < latest) {
      throw new TributaryError(
        'FENCED_LEADER_EPOCH',
        `leader epoch ${leaderEpoch} is older than the log's ${latest}`,
      );
    }
    validated ??= this.validate(batches, 'leader');
    const now = this.#clock.now();
    const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime' ? now : undefined;
    const baseOffset = this.logEndOffset;
    const appended = assignOffsets(batches, validated, baseOffset, leaderEpoch, logAppendTime);
    this.#write(batches, appended, now);
    const lastOffset = appended.at(-1)!.lastOffset;
    this.#tail.appended(batches, baseOffset, lastOffset + 1, appended.length);
    this.#updateProducerState(validated, appended);
    if (latest === undefined || leaderEpoch > latest) this.#epochs.assign(leaderEpoch, baseOffset);
    this.#afterAppend(validated.recordCount);
    return {
      baseOffset,
      lastOffset,
      logAppendTime: logAppendTime ?? -1,
      recordCount: validated.recordCount,
    };
  }

  /**
   * Replication path. `batches` come from the leader with offsets and epochs stamped; they are
   * validated (CRC, counts), must start exactly at the log end offset and be dense
   * (UnexpectedAppendOffsetError otherwise; nothing written). New epochs in them enter the
   * leader epoch cache. `max.message.bytes` is not applied: the leader already accepted them.
   */
  appendAsFollower(batches: Buffer, validated?: ValidatedBatches): AppendInfo {
    this.#checkWritable();
    validated ??= this.validate(batches, 'follower');
    const appended = checkFollowerOffsets(validated, this.logEndOffset);
    this.#write(batches, appended, this.#clock.now());
    this.#tail.forget();
    this.#updateProducerState(validated, appended);
    for (let i = 0; i < validated.headers.length; i++) {
      const epoch = validated.headers[i]!.partitionLeaderEpoch;
      if (epoch >= 0 && epoch > (this.#epochs.latestEpoch ?? -1))
        this.#epochs.assign(epoch, appended[i]!.baseOffset);
    }
    this.#afterAppend(validated.recordCount);
    return {
      baseOffset: appended[0]!.baseOffset,
      lastOffset: appended.at(-1)!.lastOffset,
      logAppendTime: -1,
      recordCount: validated.recordCount,
    };
  }

  /**
   * The stored bytes of whole batches, starting with the batch that contains `offset`. `maxBytes`
   * is soft: the first batch is returned whole however large, later ones only while the total
   * stays within it. No batch starting at or beyond `maxOffset` (exclusive; pass the high
   * watermark for consumers) is returned. Spans segments. An empty buffer at the log end offset
   * or at `maxOffset`; OffsetOutOfRangeError (with earliest and latest) below the log start or
   * beyond the log end.
   */
  read(offset: number, maxBytes: number, maxOffset = Number.POSITIVE_INFINITY): Buffer {
    return this.readBatches(offset, maxBytes, maxOffset).bytes;
  }

  /** `read`, with the offset after the last batch returned (`offset` itself when none is). */
  readBatches(offset: number, maxBytes: number, maxOffset = Number.POSITIVE_INFINITY): ReadBatches {
    this.#checkOpen();
    const end = this.logEndOffset;
    if (offset < this.logStartOffset || offset > end || !Number.isSafeInteger(offset)) {
      throw new OffsetOutOfRangeError(
        `offset ${offset} is outside [${this.logStartOffset}, ${end}] of ${this.dir}`,
        {
          earliest: this.logStartOffset,
          latest: end,
        },
      );
    }
    const tail = this.#tail.read(offset, maxBytes, maxOffset, end);
    if (tail !== undefined) return tail;
    const limit = Math.min(maxOffset, end);
    const parts: Buffer[] = [];
    let remaining = Math.max(0, maxBytes);
    let next = offset;
    for (let i = floorSegmentIndex(this.#segments, offset); i < this.#segments.length && next < limit; i++) {
      const segment = this.#segments[i]!;
      const r = segment.read(next, remaining, limit, parts.length === 0);
      if (r !== undefined) {
        parts.push(r.bytes);
        remaining -= r.bytes.length;
        next = r.nextOffset;
      }
      // Stopped by maxBytes or maxOffset inside this segment, or no budget left for the next one.
      if (next < segment.nextOffset || remaining <= 0) break;
    }
    if (parts.length === 0) return { bytes: EMPTY, nextOffset: offset };
    return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), nextOffset: next };
  }

  /**
   * The first offset whose record timestamp is >= `timestamp` (ListOffsets by time), searching
   * segments in order with their time indexes; undefined if no record is that recent.
   */
  offsetForTimestamp(timestamp: number): number | undefined {
    this.#checkOpen();
    for (const segment of this.#segments) {
      if (segment.maxTimestamp < timestamp) continue;
      const offset = segment.offsetForTimestamp(timestamp);
      if (offset !== undefined) return Math.max(offset, this.logStartOffset);
    }
    return undefined;
  }

  /**
   * Removes every batch that holds an offset >= `offset` (KIP-101 divergence, or the high
   * watermark on becoming follower): later segments are deleted and the one holding `offset` is
   * cut before its batch, so the new log end offset is `offset` or, if `offset` falls inside a
   * batch, that batch's base offset. The epoch cache, high watermark, recovery point and producer state follow.
   * Below the log start offset this empties the log (`truncateFullyAndStartAt`). Returns the new
   * log end offset.
   */
  truncateTo(offset: number): number {
    this.#checkWritable();
    if (offset >= this.logEndOffset) return this.logEndOffset;
    if (offset < this.logStartOffset) {
      this.truncateFullyAndStartAt(offset);
      return offset;
    }
    while (this.#segments.length > 1 && this.#active.baseOffset > offset) this.#segments.pop()!.delete();
    this.#active.truncateTo(offset);
    this.#afterTruncation();
    return this.logEndOffset;
  }

  /** Deletes every segment and starts an empty log at `offset` (a follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: number): void {
    this.#checkWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid offset ${offset}`);
    for (const segment of this.#segments.splice(0)) segment.delete();
    this.#segments.push(Segment.create(this.dir, offset, this.#segmentOptions()));
    this.#epochs.clear();
    for (const o of listProducerSnapshots(this.dir)) deleteProducerSnapshot(this.dir, o);
    this.#afterTruncation();
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= `epoch` in this log and the offset where the epoch
   * after it starts (the log end offset for the latest epoch); -1/-1 if unknown.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    this.#checkOpen();
    return this.#epochs.endOffsetFor(epoch, this.logEndOffset);
  }

  /** Records that `epoch` starts at `startOffset` (a new leader, before its first append). */
  assignEpoch(epoch: number, startOffset: number): void {
    this.#checkWritable();
    if (startOffset > this.logEndOffset)
      throw new RangeError(`epoch ${epoch} cannot start beyond the log end offset`);
    this.#epochs.assign(epoch, startOffset);
  }

  /** Calls `listener` with the new log end offset after every append. Returns the unsubscribe function. */
  onAppend(listener: (logEndOffset: number) => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  /** Calls `listener` whenever the high watermark moves. Returns the unsubscribe function. */
  onHighWatermark(listener: (highWatermark: number) => void): () => void {
    this.#hwListeners.add(listener);
    return () => this.#hwListeners.delete(listener);
  }

  /**
   * fsyncs everything appended so far, synchronously (closed segments' index files too), and
   * advances the recovery point to the log end offset.
   */
  flush(): void {
    this.#checkOpen();
    this.#flusher.flush(this.logEndOffset);
  }

  /** Like `flush`, off the event loop; concurrent calls run one after another. */
  flushAsync(): Promise<void> {
    return this.#flusher.flushAsync(
      () => this.logEndOffset,
      () => this.#closed,
    );
  }

  /** Flushes in the background if `flush.ms` has passed since the last flush and data is unflushed. */
  maybeFlush(): Promise<void> {
    return this.isFlushDue() ? this.flushAsync() : Promise.resolve();
  }

  /** Whether records older than `flush.ms` are not fsynced yet (what `maybeFlush` acts on). */
  isFlushDue(): boolean {
    return !this.#closed && this.#flusher.isDue(this.logEndOffset, this.#config.flushMs);
  }

  /**
   * Deletes the oldest closed segments that `retention.ms` / `retention.bytes` no longer keep
   * (never the active segment, never data at or above the high watermark; see retention.ts) and
   * advances the log start offset. Returns the number of segments deleted.
   */
  applyRetention(): number {
    this.#checkWritable();
    const count = segmentsToDelete(this.#segments, this.#highWatermark, this.#config, this.#clock.now());
    if (count === 0) return 0;
    for (const segment of this.#segments.splice(0, count)) segment.delete();
    const start = this.logStartOffset;
    this.#epochs.truncateFromStart(start);
    this.#flusher.startMoved(start);
    // Snapshots go with their segments; the state forgets producers with nothing left.
    for (const o of listProducerSnapshots(this.dir)) if (o < start) deleteProducerSnapshot(this.dir, o);
    this.producerState.removeBefore(start);
    return count;
  }

  /**
   * The fsyncs of `close`, off the event loop, so a log manager closing thousands of logs can
   * overlap them (the disk commits concurrent fsyncs together): data above the recovery point,
   * index files written since their last fsync, the leader epochs. From its call on, the log
   * refuses appends, truncations, epoch changes and retention (they would race the fsyncs and the
   * epoch file's rewrite); reads go on until `close`.
   */
  async flushBeforeClose(): Promise<void> {
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    await this.#flusher.flushAsync(
      () => this.logEndOffset,
      () => this.#closed,
    );
    this.#active.onBecomeInactive();
    await Promise.all([this.#active.flushIndexesAsync(), this.#epochs.syncAsync()]);
  }

  /**
   * Flushes everything (log, index files that changed, leader epochs; nothing left after
   * `flushBeforeClose`), snapshots the producer state and closes the files. The recovery point is
   * then the log end offset, and the log manager can checkpoint it and mark the data directory
   * cleanly shut down. Idempotent; any later call but `close` throws.
   */
  close(): void {
    if (this.#closed) return;
    this.#closing = true;
    this.#flusher.flush(this.logEndOffset);
    this.#active.onBecomeInactive();
    this.#active.flushIndexes(true);
    this.#epochs.sync();
    if (this.#snapshotOffset !== this.logEndOffset) this.#snapshotProducerState();
    for (const segment of this.#segments) segment.close();
    this.#closed = true;
  }

  /**
   * Removes the log and its directory (topic deleted). The directory is first renamed to
   * `<name>.<millis>-delete`, so a crash midway leaves a name the log manager removes at start.
   */
  async delete(): Promise<void> {
    if (!this.#closed) {
      for (const segment of this.#segments) segment.close();
      this.#closed = true;
    }
    const parent = path.dirname(this.dir);
    const renamed = path.join(parent, deletedDirName(path.basename(this.dir), this.#clock.now()));
    fs.renameSync(this.dir, renamed);
    fsyncDir(parent);
    await fs.promises.rm(renamed, { recursive: true, force: true });
  }

  get #active(): Segment {
    return this.#segments.at(-1)!;
  }

  #checkOpen(): void {
    if (this.#closed)
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `partition log ${this.dir} is closed`);
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#closing)
      throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `partition log ${this.dir} is closing`);
  }

  #segmentOptions() {
    return {
      indexIntervalBytes: this.#config.indexIntervalBytes,
      segmentIndexBytes: this.#config.segmentIndexBytes,
    };
  }

  #write(batches: Buffer, appended: readonly AppendedBatch[], now: number): void {
    const lastOffset = appended.at(-1)!.lastOffset;
    const active = this.#active;
    const rollingTimestamp = active.rollingTimestamp;
    if (
      active.size > 0 &&
      (active.size + batches.length > this.#config.segmentBytes ||
        active.indexIsFull ||
        (rollingTimestamp !== undefined && now - rollingTimestamp >= this.#config.segmentMs) ||
        lastOffset - active.baseOffset > INT32_MAX)
    ) {
      this.#roll();
    }
    this.#active.append(batches, appended, now);
  }

  /**
   * Starts a new active segment at the log end offset; the old one is fsynced in the background.
   * The producer state is snapshotted at the new base offset (never fsynced: a snapshot lost in a
   * crash only means a longer walk at the next open).
   */
  #roll(): void {
    this.#snapshotProducerState();
    this.#active.onBecomeInactive();
    this.#segments.push(Segment.create(this.dir, this.logEndOffset, this.#segmentOptions()));
    this.flushAsync().catch((err) => this.#onBackgroundError(err));
  }

  #afterAppend(recordCount: number): void {
    if (this.#flusher.appended(recordCount, this.#config.flushMessages)) this.flush();
    notify(this.#appendListeners, this.logEndOffset);
  }

  #afterTruncation(): void {
    this.#tail.forget();
    const end = this.logEndOffset;
    this.#epochs.truncateFromEnd(end);
    if (this.#highWatermark > end) this.#highWatermark = end;
    if (this.#highWatermark < this.logStartOffset) this.#highWatermark = this.logStartOffset;
    this.#flusher.truncated(this.logStartOffset, end);
    this.producerStateLoad = this.#loadProducerState();
  }

  #updateProducerState(validated: ValidatedBatches, appended: readonly AppendedBatch[]): void {
    const headers = validated.headers;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      if (h.producerId >= 0) this.producerState.update(h, appended[i]!.baseOffset);
    }
  }

  /** Loads the latest usable snapshot at or below the log end and walks the batches after it. */
  #loadProducerState(): ProducerStateLoad {
    const load = loadProducerState(this.dir, this.producerState, this.#segments);
    this.#snapshotOffset = load.snapshotOffset;
    return load;
  }

  /**
   * Snapshots the producer state at the log end offset, and drops earlier snapshots inside the
   * active segment (taken at a former close): one per segment base is what truncation needs.
   */
  #snapshotProducerState(): void {
    writeSnapshot(this.dir, this.producerState, this.logEndOffset, this.#active.baseOffset);
    this.#snapshotOffset = this.logEndOffset;
  }
}
