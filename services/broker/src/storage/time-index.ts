/**
 * Sparse time index of one segment: timestamp -> first offset at which the segment's running
 * maximum timestamp reached it.
 *
 * On disk (`<base>.timeindex`, Kafka's layout): entries of 12 bytes, big-endian
 * `timestamp int64 | relativeOffset int32`. relativeOffset is that of the *batch* (its base
 * offset) in which the segment's maximum timestamp first reached `timestamp`; so every batch
 * before it has a smaller maximum timestamp. An entry is added beside an offset index entry when
 * the maximum timestamp grew since the last entry, and one more on roll and close so the last
 * entry always holds the segment's maximum timestamp (read back at load for time retention).
 *
 * Invariants: timestamps and relative offsets strictly increase. At most
 * `segment.index.bytes / 12` entries.
 *
 * Concurrency: synchronous, owned by one Segment.
 */
import { IndexFile } from './index-file';

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

const ENTRY_SIZE = 12;
const TWO_32 = 2 ** 32;

export class TimeIndex {
  readonly maxEntries: number;
  readonly #file: IndexFile;
  #timestamps = new Float64Array(16);
  #relOffsets = new Int32Array(16);
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

  get lastEntry(): TimestampOffset | undefined {
    return this.#count === 0 ? undefined : this.entry(this.#count - 1);
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.#timestamps[i]!, offset: this.baseOffset + this.#relOffsets[i]! };
  }

  /**
   * Adds an entry if `timestamp` is beyond the last entry's (otherwise nothing to index) and the
   * index has room (a full time index only loses precision: the offset index decides rolls).
   */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.#count - 1;
    if (last >= 0 && timestamp <= this.#timestamps[last]!) return;
    if (this.isFull) return;
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff || (last >= 0 && rel < this.#relOffsets[last]!)) {
      throw new RangeError(`time index offset ${offset} is out of order`);
    }
    if (this.#count === this.#timestamps.length) this.#grow();
    this.#timestamps[this.#count] = timestamp;
    this.#relOffsets[this.#count] = rel;
    this.#count++;
  }

  /** The last entry with timestamp <= `timestamp`, or undefined when every entry is later. */
  lookup(timestamp: number): TimestampOffset | undefined {
    let lo = 0;
    let hi = this.#count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#timestamps[mid]! <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? undefined : this.entry(found);
  }

  /** Removes the entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    let keep = this.#count;
    while (keep > 0 && this.baseOffset + this.#relOffsets[keep - 1]! >= offset) keep--;
    if (keep < this.#count) {
      this.#count = keep;
      this.#file.invalidateFrom(keep);
    }
  }

  reset(): void {
    this.#count = 0;
    this.#file.invalidateFrom(0);
  }

  /**
   * Replaces memory with the file's entries if they pass the sanity check (increasing, offsets
   * below `nextOffset`); returns false (memory left empty) if the file is missing or damaged.
   */
  load(nextOffset: number): boolean {
    this.#count = 0;
    const data = this.#file.readAll();
    if (data === undefined || data.length % ENTRY_SIZE !== 0 || data.length / ENTRY_SIZE > this.maxEntries) {
      this.reset();
      return false;
    }
    for (let p = 0; p < data.length; p += ENTRY_SIZE) {
      const timestamp = data.readInt32BE(p) * TWO_32 + data.readUInt32BE(p + 4);
      const rel = data.readInt32BE(p + 8);
      const last = this.#count - 1;
      const ordered = last < 0 || (timestamp > this.#timestamps[last]! && rel >= this.#relOffsets[last]!);
      if (!ordered || rel < 0 || this.baseOffset + rel >= nextOffset) {
        this.reset();
        return false;
      }
      this.maybeAppend(timestamp, this.baseOffset + rel);
    }
    return true;
  }

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
      const ts = this.#timestamps[i]!;
      const at = (i - from) * ENTRY_SIZE;
      buf.writeInt32BE(Math.floor(ts / TWO_32), at);
      buf.writeUInt32BE(ts >>> 0, at + 4);
      buf.writeInt32BE(this.#relOffsets[i]!, at + 8);
    }
    return buf;
  }

  #grow(): void {
    const size = Math.min(this.#timestamps.length * 2, this.maxEntries);
    const ts = new Float64Array(size);
    const rel = new Int32Array(size);
    ts.set(this.#timestamps);
    rel.set(this.#relOffsets);
    this.#timestamps = ts;
    this.#relOffsets = rel;
  }
}
