/**
 * Sparse offset index of one segment: offset -> byte position of a batch in the `.log` file.
 *
 * On disk (`<base>.index`, Kafka's format): entries of 8 bytes, big-endian
 * `relativeOffset int32 | position int32`, where relativeOffset = batch base offset - segment
 * base offset. One entry every `index.interval.bytes` of batches (the first batch of a segment
 * is at position 0 and needs none), so a lookup lands at most that many bytes before the batch
 * wanted and the reader scans forward over batch headers.
 *
 * Invariants: relative offsets and positions strictly increase; every entry is the base offset
 * and start position of a batch in the segment's log. At most `segment.index.bytes / 8` entries
 * (`isFull` makes the log roll).
 *
 * In memory: two growable Int32Arrays, binary-searched. Concurrency: synchronous, owned by one
 * Segment; callers never see a half-updated index because nothing yields inside a method.
 */
import { IndexFile } from './index-file';

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

const ENTRY_SIZE = 8;

export class OffsetIndex {
  readonly maxEntries: number;
  readonly #file: IndexFile;
  #relOffsets = new Int32Array(16);
  #positions = new Int32Array(16);
  #count = 0;

  constructor(
    filePath: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / ENTRY_SIZE));
    this.#file = new IndexFile(filePath, ENTRY_SIZE);
  }

  get entryCount(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  get lastEntry(): OffsetPosition | undefined {
    return this.#count === 0 ? undefined : this.entry(this.#count - 1);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.#relOffsets[i]!, position: this.#positions[i]! };
  }

  /** Adds an entry; offset and position must be beyond the last entry's. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const last = this.#count - 1;
    if (this.isFull) throw new RangeError('offset index is full');
    if (rel < 0 || rel > 0x7fffffff || position > 0x7fffffff)
      throw new RangeError(`offset ${offset} does not fit the index`);
    if (last >= 0 && (rel <= this.#relOffsets[last]! || position <= this.#positions[last]!)) {
      throw new RangeError(`index entry ${offset}@${position} is not beyond the last entry`);
    }
    if (this.#count === this.#relOffsets.length) this.#grow();
    this.#relOffsets[this.#count] = rel;
    this.#positions[this.#count] = position;
    this.#count++;
  }

  /** The last entry at or before `offset`, or (base offset, 0) when there is none. */
  lookup(offset: number): OffsetPosition {
    const i = this.#floor(offset - this.baseOffset);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Removes the entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    const keep = this.#floor(offset - this.baseOffset - 1) + 1;
    if (keep < this.#count) {
      this.#count = keep;
      this.#file.invalidateFrom(keep);
    }
  }

  /** Forgets every entry (before a rebuild). */
  reset(): void {
    this.#count = 0;
    this.#file.invalidateFrom(0);
  }

  /**
   * Replaces memory with the file's entries if they pass the sanity check against a log of
   * `logSize` bytes; returns false (memory left empty) if the file is missing or damaged.
   */
  load(logSize: number): boolean {
    this.#count = 0;
    const data = this.#file.readAll();
    if (data === undefined || data.length % ENTRY_SIZE !== 0 || data.length / ENTRY_SIZE > this.maxEntries) {
      this.reset();
      return false;
    }
    let prevRel = -1;
    let prevPos = 0;
    for (let p = 0; p < data.length; p += ENTRY_SIZE) {
      const rel = data.readInt32BE(p);
      const pos = data.readInt32BE(p + 4);
      if (rel <= prevRel || pos <= prevPos || pos >= logSize) {
        this.reset();
        return false;
      }
      this.append(this.baseOffset + rel, pos);
      prevRel = rel;
      prevPos = pos;
    }
    return true;
  }

  /** Writes unflushed entries to the file, fsyncing if asked. */
  flush(fsync: boolean): void {
    this.#file.sync(this.#count, (from, to) => this.#encode(from, to), fsync);
  }

  fsyncAsync(): Promise<void> {
    return this.#file.fsyncAsync();
  }

  close(): void {
    this.#file.close();
  }

  delete(): void {
    this.#file.delete();
  }

  #encode(from: number, to: number): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * ENTRY_SIZE);
    for (let i = from; i < to; i++) {
      buf.writeInt32BE(this.#relOffsets[i]!, (i - from) * ENTRY_SIZE);
      buf.writeInt32BE(this.#positions[i]!, (i - from) * ENTRY_SIZE + 4);
    }
    return buf;
  }

  /** Index of the last entry with relative offset <= rel, or -1. */
  #floor(rel: number): number {
    let lo = 0;
    let hi = this.#count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#relOffsets[mid]! <= rel) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  #grow(): void {
    const size = Math.min(this.#relOffsets.length * 2, this.maxEntries);
    const rel = new Int32Array(size);
    const pos = new Int32Array(size);
    rel.set(this.#relOffsets);
    pos.set(this.#positions);
    this.#relOffsets = rel;
    this.#positions = pos;
  }
}
