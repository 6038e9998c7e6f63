/**
 * When and how a partition log reaches the disk (Kafka's flush and recovery-point bookkeeping in
 * `UnifiedLog`/`LogManager`).
 *
 * - `flush` (sync): `flush.messages` and `close`. fdatasync of every segment holding data at or
 *   above the recovery point; closed segments' index files are written and fsynced too.
 * - `flushAsync`: a roll (the old segment) and the `flush.ms` timer. The same, off the event loop,
 *   one at a time; appends continue meanwhile and are covered by the next flush.
 *
 * The recovery point (everything below it is on disk, indexes included) moves only forward, except
 * on truncation. It is checkpointed by the log manager, for every log of the data directory in
 * one file; the flusher tells it (`onChange`) when a whole segment fell below the recovery point
 * (worth a checkpoint: the segment that holds the recovery point is scanned on recovery anyway,
 * so a finer checkpoint would buy nothing) and when a truncation moved it back (the checkpoint
 * must then not stay above it). A flush that straddles a truncation advances nothing (the bytes
 * it synced may no longer be the log's).
 *
 * Concurrency: owned by one PartitionLog; at most one async flush in flight (a promise chain).
 */
import type { Clock } from './clock';
import type { Segment } from './segment';
import { floorSegmentIndex, segmentsFrom } from './segment-list';

/** How the recovery point moved: past a segment's end, or back (truncation). */
export type RecoveryPointChange = 'segment-flushed' | 'lowered';

export class LogFlusher {
  #recoveryPoint: number;
  #unflushedRecords = 0;
  #lastFlushTime: number;
  #truncations = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly segments: readonly Segment[],
    private readonly clock: Clock,
    recoveryPoint: number,
    private readonly onChange: (change: RecoveryPointChange) => void = () => undefined,
  ) {
    this.#recoveryPoint = recoveryPoint;
    this.#lastFlushTime = clock.now();
  }

  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }

  /** Counts appended records; true when `flushMessages` is reached and a flush is due now. */
  appended(records: number, flushMessages: number): boolean {
    this.#unflushedRecords += records;
    return this.#unflushedRecords >= flushMessages;
  }

  /** True if data is unflushed and `flushMs` passed since the last flush. */
  isDue(logEndOffset: number, flushMs: number): boolean {
    return logEndOffset > this.#recoveryPoint && this.clock.now() - this.#lastFlushTime >= flushMs;
  }

  /** fsyncs everything below `upTo` synchronously and advances the recovery point to it. */
  flush(upTo: number): void {
    this.#unflushedRecords = 0;
    if (upTo <= this.#recoveryPoint) return;
    const active = this.segments.at(-1);
    for (const segment of segmentsFrom(this.segments, this.#recoveryPoint)) {
      if (segment !== active) segment.flushIndexes(true);
      segment.fsync();
    }
    this.#advance(upTo);
  }

  /** Like `flush(logEndOffset())` off the event loop, after any flush already running. */
  flushAsync(logEndOffset: () => number, isClosed: () => boolean): Promise<void> {
    const run = this.#chain.then(async () => {
      if (isClosed()) return;
      const upTo = logEndOffset();
      const truncations = this.#truncations;
      this.#unflushedRecords = 0;
      if (upTo <= this.#recoveryPoint) return;
      const active = this.segments.at(-1);
      await Promise.all(
        segmentsFrom(this.segments, this.#recoveryPoint).map((s) => s.fsyncAsync(s !== active)),
      );
      if (!isClosed() && truncations === this.#truncations) this.#advance(upTo);
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  /** The log was truncated or emptied: clamp the recovery point into it. */
  truncated(logStartOffset: number, logEndOffset: number): void {
    this.#truncations++;
    const before = this.#recoveryPoint;
    this.#recoveryPoint = Math.min(Math.max(before, logStartOffset), logEndOffset);
    if (this.#recoveryPoint < before) this.onChange('lowered');
  }

  /** Retention moved the log start offset. */
  startMoved(logStartOffset: number): void {
    if (this.#recoveryPoint < logStartOffset) this.#recoveryPoint = logStartOffset;
  }

  #advance(upTo: number): void {
    const before = this.#recoveryPoint;
    this.#recoveryPoint = Math.max(before, upTo);
    this.#lastFlushTime = this.clock.now();
    const holding = this.segments[floorSegmentIndex(this.segments, this.#recoveryPoint)]!;
    if (holding.baseOffset > before) this.onChange('segment-flushed');
  }
}
