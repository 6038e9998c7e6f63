/**
 * What OffsetIndex and TimeIndex share (Kafka's `AbstractIndex`): entries of a sorted key and a
 * 32-bit value held in two growable typed arrays, bounded by `segment.index.bytes`, written to
 * an append-only IndexFile at flush, roll and close, and one binary search. Subclasses give the
 * entry layout (`encodeEntry` / `decodeEntry`), the key array type and their own lookups.
 *
 * Invariants: keys strictly increase and values never decrease; at most `maxEntries` entries.
 * Concurrency: synchronous, owned by one Segment; nothing yields inside a method, so callers
 * never see a half-updated index.
 */
import { IndexFile } from './index-file';

type KeyArray = Int32Array | Float64Array;

export abstract class AbstractIndex<Key extends KeyArray> {
  readonly maxEntries: number;
  readonly #file: IndexFile;
  protected keys: Key;
  protected values = new Int32Array(16);
  #count = 0;

  protected constructor(
    filePath: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
    readonly entrySize: number,
    newKeys: (length: number) => Key,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entrySize));
    this.#file = new IndexFile(filePath, entrySize);
    this.#newKeys = newKeys;
    this.keys = newKeys(16);
  }

  readonly #newKeys: (length: number) => Key;

  get entryCount(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  /** Writes entry `i` at `at` of `buf` in the file format. */
  protected abstract encodeEntry(buf: Buffer, at: number, i: number): void;

  /** Reads the entry at `at` of a file; false if it does not follow the entries loaded so far. */
  protected abstract loadEntry(data: Buffer, at: number, limit: number): boolean;

  /** Adds an entry at the end (the subclass checked the order). */
  protected push(key: number, value: number): void {
    if (this.#count === this.keys.length) this.#grow();
    this.keys[this.#count] = key;
    this.values[this.#count] = value;
    this.#count++;
  }

  /** Index of the last entry whose `keys` (or `values`) element is <= `x`, or -1: the one binary search. */
  protected floor(x: number, array: KeyArray = this.keys): number {
    let lo = 0;
    let hi = this.#count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (array[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Keeps the first `count` entries. */
  protected truncateToEntries(count: number): void {
    if (count < this.#count) {
      this.#count = count;
      this.#file.invalidateFrom(count);
    }
  }

  /** Forgets every entry (before a rebuild). */
  reset(): void {
    this.#count = 0;
    this.#file.invalidateFrom(0);
  }

  /**
   * Replaces memory with the file's entries if each passes the subclass's check against `limit`
   * (log size, or next offset); returns false (memory left empty) if the file is missing or damaged.
   */
  load(limit: number): boolean {
    this.#count = 0;
    const data = this.#file.readAll();
    const size = this.entrySize;
    if (data === undefined || data.length % size !== 0 || data.length / size > this.maxEntries) {
      this.reset();
      return false;
    }
    for (let at = 0; at < data.length; at += size) {
      if (!this.loadEntry(data, at, limit)) {
        this.reset();
        return false;
      }
    }
    return true;
  }

  /** Writes unflushed entries to the file, fsyncing if asked. */
  flush(fsync: boolean): void {
    this.#file.sync(
      this.#count,
      (from, to) => {
        const buf = Buffer.allocUnsafe((to - from) * this.entrySize);
        for (let i = from; i < to; i++) this.encodeEntry(buf, (i - from) * this.entrySize, i);
        return buf;
      },
      fsync,
    );
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

  #grow(): void {
    const size = Math.min(this.keys.length * 2, this.maxEntries);
    const keys = this.#newKeys(size);
    const values = new Int32Array(size);
    keys.set(this.keys);
    values.set(this.values);
    this.keys = keys;
    this.values = values;
  }
}
