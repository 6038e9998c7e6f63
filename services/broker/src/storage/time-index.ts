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
 * Invariants: timestamps strictly increase, relative offsets never decrease. At most
 * `segment.index.bytes / 12` entries. Memory, file and search: AbstractIndex (keys:
 * timestamps, values: relative offsets).
 */
import { AbstractIndex } from './abstract-index';

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

const ENTRY_SIZE = 12;
const TWO_32 = 2 ** 32;

export class TimeIndex extends AbstractIndex<Float64Array> {
  constructor(filePath: string, baseOffset: number, maxIndexBytes: number) {
    super(filePath, baseOffset, maxIndexBytes, ENTRY_SIZE, (n) => new Float64Array(n));
  }

  get lastEntry(): TimestampOffset | undefined {
    return this.entryCount === 0 ? undefined : this.entry(this.entryCount - 1);
  }

  entry(i: number): TimestampOffset {
    return { timestamp: this.keys[i]!, offset: this.baseOffset + this.values[i]! };
  }

  /**
   * Adds an entry if `timestamp` is beyond the last entry's (otherwise nothing to index) and the
   * index has room (a full time index only loses precision: the offset index decides rolls).
   */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.entryCount - 1;
    if (last >= 0 && timestamp <= this.keys[last]!) return;
    if (this.isFull) return;
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff || (last >= 0 && rel < this.values[last]!)) {
      throw new RangeError(`time index offset ${offset} is out of order`);
    }
    this.push(timestamp, rel);
  }

  /** The last entry with timestamp <= `timestamp`, or undefined when every entry is later. */
  lookup(timestamp: number): TimestampOffset | undefined {
    const i = this.floor(timestamp);
    return i < 0 ? undefined : this.entry(i);
  }

  /** Removes the entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    this.truncateToEntries(this.floor(offset - this.baseOffset - 1, this.values) + 1);
  }

  /** Entries must increase and name offsets below `nextOffset`. */
  protected loadEntry(data: Buffer, at: number, nextOffset: number): boolean {
    const timestamp = data.readInt32BE(at) * TWO_32 + data.readUInt32BE(at + 4);
    const rel = data.readInt32BE(at + 8);
    const last = this.entryCount - 1;
    const ordered = last < 0 || (timestamp > this.keys[last]! && rel >= this.values[last]!);
    if (!ordered || rel < 0 || this.baseOffset + rel >= nextOffset) return false;
    this.maybeAppend(timestamp, this.baseOffset + rel);
    return true;
  }

  protected encodeEntry(buf: Buffer, at: number, i: number): void {
    const ts = this.keys[i]!;
    buf.writeInt32BE(Math.floor(ts / TWO_32), at);
    buf.writeUInt32BE(ts >>> 0, at + 4);
    buf.writeInt32BE(this.values[i]!, at + 8);
  }
}
