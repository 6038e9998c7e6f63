/**
 * The file behind an in-memory index (OffsetIndex, TimeIndex): fixed-size big-endian entries,
 * back to back, no header. The index lives in memory (typed arrays) and its file is only written
 * at flush, roll and close: index entries are appended past what the file already holds, never
 * rewritten, so a flush costs one small write. Kafka mmaps its index files; an append-only file
 * fed from memory gives the same format without a native dependency.
 *
 * The file can lag the memory (entries not yet flushed) or hold stale entries after a rebuild or
 * a truncation; `sync()` makes it match. A file that does not match its log (crash between a
 * segment write and the index write) is detected by the index's sanity check at load and rebuilt.
 *
 * Concurrency: synchronous, owned by one Segment.
 */
import * as fs from 'node:fs';

export class IndexFile {
  #fd: number | undefined;
  /** Entries known to be in the file, identical to memory. */
  #persisted = 0;
  /** The file may hold more bytes than `#persisted` entries: cut it before the next write. */
  #mustTruncate = false;

  constructor(
    readonly filePath: string,
    readonly entrySize: number,
  ) {}

  /** Reads the whole file, or undefined if it does not exist. Marks its entries as persisted. */
  readAll(): Buffer | undefined {
    let data: Buffer;
    try {
      data = fs.readFileSync(this.filePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    this.#persisted = Math.floor(data.length / this.entrySize);
    this.#mustTruncate = data.length % this.entrySize !== 0;
    return data;
  }

  /** Memory was rebuilt or cut back to `entries`: the file holds at most that many valid entries. */
  invalidateFrom(entries: number): void {
    if (entries < this.#persisted || this.#mustTruncate) {
      this.#persisted = Math.min(this.#persisted, entries);
      this.#mustTruncate = true;
    }
  }

  /** Writes entries `[persisted, count)` produced by `encode`, fsyncing if asked. */
  sync(count: number, encode: (from: number, to: number) => Buffer, fsync: boolean): void {
    if (count === this.#persisted && !this.#mustTruncate && !fsync) return;
    const fd = this.#open();
    if (this.#mustTruncate) {
      fs.ftruncateSync(fd, this.#persisted * this.entrySize);
      this.#mustTruncate = false;
    }
    if (count > this.#persisted) {
      const bytes = encode(this.#persisted, count);
      writeFully(fd, bytes, this.#persisted * this.entrySize);
      this.#persisted = count;
    }
    if (fsync) fs.fsyncSync(fd);
  }

  /** fsync off the event loop (after `sync(count, encode, false)` wrote the entries). */
  fsyncAsync(): Promise<void> {
    const fd = this.#fd;
    if (fd === undefined) return Promise.resolve();
    return new Promise((resolve, reject) =>
      fs.fsync(fd, (err) => (err && this.#fd === fd ? reject(err) : resolve())),
    );
  }

  close(): void {
    if (this.#fd !== undefined) fs.closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Closes and removes the file (absent is fine). */
  delete(): void {
    this.close();
    fs.rmSync(this.filePath, { force: true });
  }

  #open(): number {
    if (this.#fd === undefined)
      this.#fd = fs.openSync(this.filePath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
    return this.#fd;
  }
}

/** pwrite until every byte is written (a short write is legal for regular files on some systems). */
export function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}
