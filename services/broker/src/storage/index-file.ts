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
 * Until it is read, the file's content is unknown (it may not exist, or hold stale entries a
 * recovery rebuilt in memory without reading): the first write cuts it to what it writes. It is
 * fsynced only if written since its last fsync (or never fsynced by this process and not read
 * back), so a clean shutdown of thousands of logs fsyncs only the index files that changed.
 *
 * Concurrency: synchronous, owned by one Segment.
 */
import * as fs from 'node:fs';

export class IndexFile {
  #fd: number | undefined;
  /** Entries known to be in the file, identical to memory. */
  #persisted = 0;
  /** The file may hold more bytes than `#persisted` entries: cut it before the next write. */
  #mustTruncate = true;
  /** The file may differ from what is on disk (written, created or cut since the last fsync). */
  #unsynced = true;
  /** Writes so far: an async fsync clears `#unsynced` only if none came while it ran. */
  #writes = 0;

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
    // What a load reads was fsynced by the process that wrote it before it vouched for it (a
    // flush below the recovery point, or a clean shutdown); anything else is rebuilt and rewritten.
    this.#unsynced = false;
    return data;
  }

  /** Memory was rebuilt or cut back to `entries`: the file holds at most that many valid entries. */
  invalidateFrom(entries: number): void {
    if (entries < this.#persisted || this.#mustTruncate) {
      this.#persisted = Math.min(this.#persisted, entries);
      this.#mustTruncate = true;
    }
  }

  /**
   * Writes entries `[persisted, count)` produced by `encode`; with `fsync`, then fsyncs the file
   * if it changed since its last fsync.
   */
  sync(count: number, encode: (from: number, to: number) => Buffer, fsync: boolean): void {
    const mustWrite = count > this.#persisted || this.#mustTruncate;
    if (!mustWrite && !(fsync && this.#unsynced)) return;
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
    if (mustWrite) {
      this.#unsynced = true;
      this.#writes++;
    }
    if (fsync && this.#unsynced) {
      fs.fsyncSync(fd);
      this.#unsynced = false;
    }
  }

  /**
   * fsync off the event loop, if the file changed since its last fsync (call after
   * `sync(count, encode, false)` wrote the entries).
   */
  fsyncAsync(): Promise<void> {
    if (!this.#unsynced) return Promise.resolve();
    const fd = this.#open();
    const writes = this.#writes;
    return new Promise((resolve, reject) =>
      fs.fsync(fd, (err) => {
        if (err) return this.#fd === fd ? reject(err) : resolve();
        if (this.#writes === writes && this.#fd === fd) this.#unsynced = false;
        resolve();
      }),
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
