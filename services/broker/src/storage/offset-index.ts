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
 * (`isFull` makes the log roll). Memory, file and search: AbstractIndex (keys: relative offsets,
 * values: positions).
 */
import { AbstractIndex } from './abstract-index';

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

const ENTRY_SIZE = 8;

export class OffsetIndex extends AbstractIndex<Int32Array> {
  constructor(filePath: string, baseOffset: number, maxIndexBytes: number) {
    super(filePath, baseOffset, maxIndexBytes, ENTRY_SIZE, (n) => new Int32Array(n));
  }

  get lastEntry(): OffsetPosition | undefined {
    return this.entryCount === 0 ? undefined : this.entry(this.entryCount - 1);
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.keys[i]!, position: this.values[i]! };
  }

  /** Adds an entry; offset and position must be beyond the last entry's. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    const last = this.entryCount - 1;
    if (this.isFull) throw new RangeError('offset index is full');
    if (rel < 0 || rel > 0x7fffffff || position > 0x7fffffff)
      throw new RangeError(`offset ${offset} does not fit the index`);
    if (last >= 0 && (rel <= this.keys[last]! || position <= this.values[last]!)) {
      throw new RangeError(`index entry ${offset}@${position} is not beyond the last entry`);
    }
    this.push(rel, position);
  }

  /** The last entry at or before `offset`, or (base offset, 0) when there is none. */
  lookup(offset: number): OffsetPosition {
    const i = this.floor(offset - this.baseOffset);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Removes the entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    this.truncateToEntries(this.floor(offset - this.baseOffset - 1) + 1);
  }

  /** Entries must increase and point inside a log of `logSize` bytes. */
  protected loadEntry(data: Buffer, at: number, logSize: number): boolean {
    const rel = data.readInt32BE(at);
    const pos = data.readInt32BE(at + 4);
    const last = this.entryCount - 1;
    const prevRel = last < 0 ? -1 : this.keys[last]!;
    const prevPos = last < 0 ? 0 : this.values[last]!;
    if (rel <= prevRel || pos <= prevPos || pos >= logSize) return false;
    this.append(this.baseOffset + rel, pos);
    return true;
  }

  protected encodeEntry(buf: Buffer, at: number, i: number): void {
    buf.writeInt32BE(this.keys[i]!, at);
    buf.writeInt32BE(this.values[i]!, at + 4);
  }
}
