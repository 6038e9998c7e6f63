/**
 * The `.log` file of a segment (Kafka's `FileRecords`): positional reads and writes on one fd.
 * It knows batch framing only through the codec's header peeks (`peekBatchSize` ...); validation, offsets and
 * indexes are the Segment's business.
 *
 * Concurrency: synchronous, except `fdatasyncAsync`; owned by one Segment. The fd is opened
 * read-write without O_APPEND: appends are pwrites at the end the Segment tracks, so a failed
 * write can be cut back with ftruncate and reads never see past the Segment's `size`.
 */
import * as fs from 'node:fs';
import {
  BATCH_HEADER_SIZE,
  peekBaseOffset,
  peekBatchSize,
  peekLastOffset,
  peekMaxTimestamp,
} from '@tributary/record-batch';
import { readSyncAt } from './batch-scan';
import { writeFully } from './index-file';

const SCAN_WINDOW = 64 * 1024;

/**
 * Called per batch by `scanHeaders`; return false to stop. `window` holds the batch's whole
 * header (BATCH_HEADER_SIZE bytes) from `at`, for visitors that need more than the peeks.
 */
export type HeaderVisitor = (
  position: number,
  size: number,
  baseOffset: number,
  lastOffset: number,
  maxTimestamp: number,
  window: Buffer,
  at: number,
) => boolean;

export class FileRecords {
  #closed = false;

  private constructor(
    readonly filePath: string,
    readonly fd: number,
  ) {}

  /** A new empty file (an old one at the path is emptied). */
  static create(filePath: string): FileRecords {
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC;
    return new FileRecords(filePath, fs.openSync(filePath, flags, 0o644));
  }

  /** `create` off the event loop (a new partition's first segment: see log-loader.ts). */
  static async createAsync(filePath: string): Promise<FileRecords> {
    const flags = fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC;
    // The callback API gives a plain fd (a promises FileHandle would close it when collected).
    const fd = await new Promise<number>((resolve, reject) =>
      fs.open(filePath, flags, 0o644, (err, fd) => (err ? reject(err) : resolve(fd))),
    );
    return new FileRecords(filePath, fd);
  }

  static open(filePath: string): FileRecords {
    return new FileRecords(filePath, fs.openSync(filePath, fs.constants.O_RDWR));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The file's size on disk (may exceed the Segment's `size` before recovery). */
  fileSize(): number {
    return fs.fstatSync(this.fd).size;
  }

  /** `length` bytes at `position` in a new buffer (shorter only at end of file). */
  readAt(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const n = readSyncAt(this.fd, buf, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /** Writes all of `buf` at `position`; on failure cuts the file back to `position` and rethrows. */
  writeAt(buf: Buffer, position: number): void {
    try {
      writeFully(this.fd, buf, position);
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, position);
      } catch {
        // The write error is the one to report; recovery cuts any torn tail at the next start.
      }
      throw err;
    }
  }

  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }

  /**
   * Walks batch headers in `[position, end)` while `visit` returns true, reading 64 KiB windows.
   * Returns where it stopped (the end of the last whole batch when it ran out).
   */
  scanHeaders(position: number, end: number, visit: HeaderVisitor): number {
    let pos = position;
    let win: Buffer = Buffer.alloc(0);
    let winStart = pos;
    // Every batch is at least a whole header long, so a whole header fits before `end`.
    while (pos + BATCH_HEADER_SIZE <= end) {
      if (pos + BATCH_HEADER_SIZE > winStart + win.length) {
        winStart = pos;
        win = this.readAt(pos, Math.min(SCAN_WINDOW, end - pos));
      }
      const at = pos - winStart;
      const size = peekBatchSize(win, at);
      if (size < BATCH_HEADER_SIZE || pos + size > end) return pos;
      const go = visit(
        pos,
        size,
        peekBaseOffset(win, at),
        peekLastOffset(win, at),
        peekMaxTimestamp(win, at),
        win,
        at,
      );
      if (!go) return pos;
      pos += size;
    }
    return pos;
  }

  /** fdatasync (the size is data, so it covers appends); a no-op once closed. */
  fdatasync(): void {
    if (!this.#closed) fs.fdatasyncSync(this.fd);
  }

  /** fdatasync off the event loop; a file closed meanwhile counts as synced. */
  fdatasyncAsync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve, reject) =>
      fs.fdatasync(this.fd, (err) => (err && !this.#closed ? reject(err) : resolve())),
    );
  }

  close(): void {
    if (this.#closed) return;
    fs.closeSync(this.fd);
    this.#closed = true;
  }

  delete(): void {
    this.close();
    fs.rmSync(this.filePath, { force: true });
  }
}
