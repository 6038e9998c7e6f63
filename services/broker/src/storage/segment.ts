/**
 * One segment of a partition log: a `.log` file of record batches starting at `baseOffset`,
 * with its OffsetIndex and TimeIndex (Kafka's `LogSegment`).
 *
 * On disk: `<base>.log` holds v2 record batches exactly as appended (12 bytes of base offset and
 * length, then the batch), back to back, no header or padding; `<base>.index` and
 * `<base>.timeindex` are described in offset-index.ts and time-index.ts.
 *
 * Invariants: batches are whole, their offsets dense from `baseOffset` to `nextOffset - 1`;
 * `size` is the byte length of those batches and of the file (bytes past `size` exist only while
 * an append is failing and are cut). Index entries point at batch starts below `size`. The
 * in-memory indexes are always complete; their files may lag until `flushIndexes`.
 *
 * Concurrency: all methods but `recover` and `fsyncAsync` are synchronous, so on Node's single
 * thread a reader runs entirely before or after an append and never sees a batch half-written:
 * `size` and `nextOffset` advance only after the write returns. Reads snapshot `size` first and
 * never look past it. The owning PartitionLog serialises mutation.
 *
 * A little over 400 lines because it is one concept, Kafka's LogSegment: the append, the
 * windowed read and the recovery of one `.log` file with its two indexes share its invariants.
 */
import {
  type BatchHeader,
  decodeRecordBatch,
  HEADER_PEEK_SIZE,
  peekBaseOffset,
  peekBatchSize,
  peekLastOffset,
  peekMaxTimestamp,
  readBatchHeader,
  TimestampType,
} from '@tributary/record-batch';
import { type ScanOutcome, scanLogFile } from './batch-scan';
import { segmentFilePath } from './file-names';
import { FileRecords } from './file-records';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

export interface SegmentOptions {
  readonly indexIntervalBytes: number;
  readonly segmentIndexBytes: number;
}

/** Where a batch of an append sits in the appended buffer, and what the indexes need of it. */
export interface AppendedBatch {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

/** What `recover` found. */
export interface SegmentRecovery extends ScanOutcome {
  readonly truncatedBytes: number;
  /** Leader epochs seen, with the base offset of their first batch in this segment. */
  readonly epochs: readonly { epoch: number; startOffset: number }[];
}

const NO_TIMESTAMP = -1;

export class Segment {
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly #file: FileRecords;
  #size: number;
  #nextOffset: number;
  #maxTimestamp = NO_TIMESTAMP;
  #offsetOfMaxTimestamp: number;
  #bytesSinceLastIndexEntry = 0;
  /** Clock time of the first append (or the first batch's timestamp after a restart): segment.ms age. */
  #rollingTimestamp: number | undefined;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    file: FileRecords,
    size: number,
    readonly options: SegmentOptions,
  ) {
    this.#file = file;
    this.#size = size;
    this.#nextOffset = baseOffset;
    this.#offsetOfMaxTimestamp = baseOffset;
    this.offsetIndex = new OffsetIndex(
      segmentFilePath(dir, baseOffset, 'index'),
      baseOffset,
      options.segmentIndexBytes,
    );
    this.timeIndex = new TimeIndex(
      segmentFilePath(dir, baseOffset, 'timeindex'),
      baseOffset,
      options.segmentIndexBytes,
    );
  }

  /** A new, empty segment; files left at that base offset by an earlier life are replaced. */
  static create(dir: string, baseOffset: number, options: SegmentOptions): Segment {
    const file = FileRecords.create(segmentFilePath(dir, baseOffset, 'log'));
    const segment = new Segment(dir, baseOffset, file, 0, options);
    segment.offsetIndex.reset();
    segment.timeIndex.reset();
    return segment;
  }

  /** `create` for a directory known to be new: the file is created off the event loop. */
  static async createNew(dir: string, baseOffset: number, options: SegmentOptions): Promise<Segment> {
    const file = await FileRecords.createAsync(segmentFilePath(dir, baseOffset, 'log'));
    return new Segment(dir, baseOffset, file, 0, options);
  }

  /** An existing segment; call `loadIndexes` or `recover` before using it. */
  static open(dir: string, baseOffset: number, options: SegmentOptions): Segment {
    const file = FileRecords.open(segmentFilePath(dir, baseOffset, 'log'));
    return new Segment(dir, baseOffset, file, file.fileSize(), options);
  }

  /** Bytes of batches in the segment. */
  get size(): number {
    return this.#size;
  }

  /** Offset the next batch appended here gets (base offset when empty). */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Largest batch max timestamp in the segment, -1 when empty. */
  get maxTimestamp(): number {
    return this.#maxTimestamp;
  }

  get rollingTimestamp(): number | undefined {
    return this.#rollingTimestamp;
  }

  get closed(): boolean {
    return this.#file.closed;
  }

  /** A full offset index forces a roll (a full time index only loses precision). */
  get indexIsFull(): boolean {
    return this.offsetIndex.isFull;
  }

  /**
   * Writes `buf` (whole batches, offsets already stamped) at the end of the segment and indexes
   * its batches. All or nothing: on a write error the file is cut back and the error rethrown.
   */
  append(buf: Buffer, batches: readonly AppendedBatch[], now: number): void {
    const start = this.#size;
    this.#file.writeAt(buf, start);
    for (const b of batches)
      this.#indexBatch(start + b.position, b.size, b.baseOffset, b.lastOffset, b.maxTimestamp);
    this.#size = start + buf.length;
    this.#rollingTimestamp ??= now;
  }

  /**
   * Whole batches from the one containing `offset`: at most `maxBytes` of them, except that the
   * first is returned whole however large when `minOneBatch`; none starting at or beyond
   * `maxOffset`. Undefined when nothing qualifies. One pread in the common case: the window read
   * covers the index gap before `offset` plus `maxBytes`.
   */
  read(
    offset: number,
    maxBytes: number,
    maxOffset: number,
    minOneBatch: boolean,
  ): { bytes: Buffer; nextOffset: number } | undefined {
    const end = this.#size;
    let pos = this.offsetIndex.lookup(offset).position;
    if (pos >= end) return undefined;
    maxBytes = Math.max(0, maxBytes);
    let winStart = pos;
    let win = this.#file.readAt(
      pos,
      Math.min(end - pos, maxBytes + this.options.indexIntervalBytes + HEADER_PEEK_SIZE),
    );
    let selStart = -1;
    let selEnd = -1;
    let nextOffset = offset;
    while (pos < end) {
      let hdr = win;
      let at = pos - winStart;
      if (pos + HEADER_PEEK_SIZE > winStart + win.length) {
        if (selStart < 0) {
          // Still looking for the first batch: slide the window here.
          winStart = pos;
          win = this.#file.readAt(pos, Math.min(end - pos, Math.max(win.length, HEADER_PEEK_SIZE)));
          if (win.length < HEADER_PEEK_SIZE) break; // shorter than `size` says: never expected
          continue;
        }
        // Past the window with a selection: peek this header alone; the selection is read at the end.
        hdr = this.#file.readAt(pos, HEADER_PEEK_SIZE);
        at = 0;
        if (hdr.length < HEADER_PEEK_SIZE) break;
      }
      const size = peekBatchSize(hdr, at);
      const lastOffset = peekLastOffset(hdr, at);
      if (selStart < 0 && lastOffset < offset) {
        pos += size;
        continue;
      }
      if (peekBaseOffset(hdr, at) >= maxOffset) break;
      const taken = selStart < 0 ? 0 : selEnd - selStart;
      if (taken + size > maxBytes && !(taken === 0 && minOneBatch)) break;
      if (selStart < 0) selStart = pos;
      selEnd = pos + size;
      nextOffset = lastOffset + 1;
      pos += size;
    }
    if (selStart < 0) return undefined;
    if (selEnd <= winStart + win.length)
      return { bytes: win.subarray(selStart - winStart, selEnd - winStart), nextOffset };
    return { bytes: this.#file.readAt(selStart, selEnd - selStart), nextOffset };
  }

  /**
   * The first offset whose record timestamp is >= `timestamp`, or undefined if the segment has
   * none. The time index finds a batch to start from, headers find the first batch whose max
   * timestamp qualifies, and that one batch is decoded to find the record.
   */
  offsetForTimestamp(timestamp: number): number | undefined {
    if (this.#maxTimestamp < timestamp) return undefined;
    const from = this.timeIndex.lookup(timestamp)?.offset ?? this.baseOffset;
    let found: { position: number; size: number } | undefined;
    this.#file.scanHeaders(
      this.offsetIndex.lookup(from).position,
      this.#size,
      (position, size, _b, _l, maxTimestamp) => {
        if (maxTimestamp < timestamp) return true;
        found = { position, size };
        return false;
      },
    );
    if (found === undefined) return undefined;
    const batch = decodeRecordBatch(this.#file.readAt(found.position, found.size), 0);
    if (batch.header.timestampType === TimestampType.LogAppendTime) return batch.header.baseOffset;
    return batch.records.find((r) => r.timestamp >= timestamp)?.offset ?? batch.header.baseOffset;
  }

  /**
   * Calls `visit` with the header of every batch whose last offset is >= `fromOffset`, in order,
   * reading only headers (64 KiB windows): what rebuilding the producer state needs.
   */
  forEachBatchHeader(fromOffset: number, visit: (header: BatchHeader) => void): void {
    this.#file.scanHeaders(
      this.offsetIndex.lookup(fromOffset).position,
      this.#size,
      (_p, _s, _b, lastOffset, _t, window, at) => {
        if (lastOffset >= fromOffset) visit(readBatchHeader(window, at));
        return true;
      },
    );
  }

  /**
   * Cuts the segment before the batch that contains `offset` (batches are never split), with its
   * indexes. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    if (offset >= this.#nextOffset) return 0;
    let cut = this.#size;
    let cutOffset = this.#nextOffset;
    this.#file.scanHeaders(
      this.offsetIndex.lookup(offset).position,
      this.#size,
      (position, _s, baseOffset, lastOffset) => {
        if (lastOffset < offset) return true;
        cut = position;
        cutOffset = baseOffset;
        return false;
      },
    );
    const removed = this.#size - cut;
    this.#file.truncate(cut);
    this.offsetIndex.truncateToOffset(cutOffset);
    this.timeIndex.truncateToOffset(cutOffset);
    this.#size = cut;
    this.#nextOffset = cutOffset;
    this.#recomputeTail();
    if (this.#size === 0) this.#rollingTimestamp = undefined;
    return removed;
  }

  /**
   * Loads the index files of a segment that needs no recovery and checks them against the log:
   * the last offset index entry must be a batch start, and the batches after it must be whole.
   * Returns false if anything is missing or inconsistent (then `recover` rebuilds).
   */
  loadIndexes(now: number): boolean {
    if (!this.offsetIndex.load(this.#size)) return false;
    const last = this.offsetIndex.lastEntry;
    this.#nextOffset = last?.offset ?? this.baseOffset;
    this.#maxTimestamp = NO_TIMESTAMP;
    if (!this.#recomputeTail(last)) return false;
    const tailMax = this.#maxTimestamp;
    const tailMaxOffset = this.#offsetOfMaxTimestamp;
    if (!this.timeIndex.load(this.#nextOffset)) return false;
    const lastTime = this.timeIndex.lastEntry;
    if (lastTime !== undefined && lastTime.timestamp >= tailMax) {
      this.#maxTimestamp = lastTime.timestamp;
      this.#offsetOfMaxTimestamp = lastTime.offset;
    } else {
      this.#maxTimestamp = tailMax;
      this.#offsetOfMaxTimestamp = tailMaxOffset;
    }
    this.#initRollingTimestamp(now);
    return true;
  }

  /**
   * Scans the whole log file, validating every batch (size, CRC, counts, dense offsets),
   * rebuilds both indexes in memory, and truncates the file at the first invalid batch.
   */
  async recover(now: number): Promise<SegmentRecovery> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.#size = 0;
    this.#nextOffset = this.baseOffset;
    this.#maxTimestamp = NO_TIMESTAMP;
    this.#offsetOfMaxTimestamp = this.baseOffset;
    this.#bytesSinceLastIndexEntry = 0;
    const epochs: { epoch: number; startOffset: number }[] = [];
    const fileSize = this.#file.fileSize();
    const outcome = await scanLogFile(this.#file.fd, fileSize, this.baseOffset, (b) => {
      this.#indexBatch(b.position, b.size, b.baseOffset, b.lastOffset, b.maxTimestamp);
      this.#size = b.position + b.size;
      if (epochs.length === 0 || b.partitionLeaderEpoch > epochs.at(-1)!.epoch) {
        epochs.push({ epoch: b.partitionLeaderEpoch, startOffset: b.baseOffset });
      }
    });
    if (outcome.validBytes < fileSize) this.#file.truncate(outcome.validBytes);
    this.#initRollingTimestamp(now);
    return { ...outcome, truncatedBytes: fileSize - outcome.validBytes, epochs };
  }

  /** The segment stops being active: record its max timestamp in the time index (read back at load). */
  onBecomeInactive(): void {
    if (this.#maxTimestamp !== NO_TIMESTAMP)
      this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
  }

  /** Writes index entries not yet in their files; with `fsync`, fsyncs those that changed. */
  flushIndexes(fsync: boolean): void {
    this.offsetIndex.flush(fsync);
    this.timeIndex.flush(fsync);
  }

  /** fdatasync of the log file (its size is data, so fdatasync covers appends). */
  fsync(): void {
    this.#file.fdatasync();
  }

  /**
   * fdatasync of the log, and of the index files when `withIndexes` (written first), off the
   * event loop. A segment closed or deleted meanwhile counts as flushed.
   */
  async fsyncAsync(withIndexes: boolean): Promise<void> {
    if (this.#file.closed) return;
    await Promise.all([this.#file.fdatasyncAsync(), withIndexes ? this.flushIndexesAsync() : undefined]);
  }

  /**
   * Writes index entries not yet in their files and fsyncs the files that changed since their
   * last fsync, off the event loop. A segment closed meanwhile counts as flushed.
   */
  async flushIndexesAsync(): Promise<void> {
    if (this.#file.closed) return;
    this.flushIndexes(false);
    await Promise.all([this.offsetIndex.fsyncAsync(), this.timeIndex.fsyncAsync()]);
  }

  /** Flushes the index files (not fsynced: a log's last segment is recovered after a crash) and closes. */
  close(): void {
    if (this.#file.closed) return;
    this.flushIndexes(false);
    this.offsetIndex.close();
    this.timeIndex.close();
    this.#file.close();
  }

  /** Closes and removes the segment's three files. */
  delete(): void {
    this.#file.delete();
    this.offsetIndex.delete();
    this.timeIndex.delete();
  }

  #indexBatch(
    position: number,
    size: number,
    baseOffset: number,
    lastOffset: number,
    maxTimestamp: number,
  ): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = baseOffset;
    }
    if (this.#bytesSinceLastIndexEntry > this.options.indexIntervalBytes && !this.offsetIndex.isFull) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
      this.#bytesSinceLastIndexEntry = 0;
    }
    this.#bytesSinceLastIndexEntry += size;
    this.#nextOffset = lastOffset + 1;
  }

  /**
   * Re-derives the tail state (next offset, max timestamp, bytes since the last index entry)
   * from the batches after the last offset index entry. False if they are not whole batches.
   */
  #recomputeTail(from = this.offsetIndex.lastEntry): boolean {
    const start = from?.position ?? 0;
    const lastTime = this.timeIndex.lastEntry;
    this.#maxTimestamp = lastTime?.timestamp ?? NO_TIMESTAMP;
    this.#offsetOfMaxTimestamp = lastTime?.offset ?? this.baseOffset;
    let expected = from?.offset ?? this.baseOffset;
    let consistent = true;
    const end = this.#file.scanHeaders(start, this.#size, (_p, _s, baseOffset, lastOffset, maxTimestamp) => {
      if (baseOffset !== expected || lastOffset < baseOffset) {
        consistent = false;
        return false;
      }
      if (maxTimestamp > this.#maxTimestamp) {
        this.#maxTimestamp = maxTimestamp;
        this.#offsetOfMaxTimestamp = baseOffset;
      }
      expected = lastOffset + 1;
      return true;
    });
    this.#nextOffset = expected;
    this.#bytesSinceLastIndexEntry = this.#size - start;
    return consistent && end === this.#size;
  }

  #initRollingTimestamp(now: number): void {
    if (this.#size < HEADER_PEEK_SIZE) {
      this.#rollingTimestamp = undefined;
      return;
    }
    const first = this.#file.readAt(0, HEADER_PEEK_SIZE);
    this.#rollingTimestamp = Math.min(peekMaxTimestamp(first, 0), now);
  }
}
