/**
 * Walking the record batches of a `.log` file, for recovery and for the few places that need
 * batch boundaries without decoding records. Header fields are read with the codec's peeks
 * (`@tributary/record-batch` peek.ts, positions named in its layout.ts); checks (magic, CRC,
 * counts) are the codec's `validateBatch`.
 */
import * as fs from 'node:fs';
import { CorruptMessageError } from '@tributary/errors';
import { BATCH_HEADER_SIZE, type BatchHeader, peekBatchSize, validateBatch } from '@tributary/record-batch';

/** A batch found in a file: where it is and what the index needs. */
export interface ScannedBatch {
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly partitionLeaderEpoch: number;
}

export interface ScanOutcome {
  /** Bytes from the start of the file holding only valid batches. */
  readonly validBytes: number;
  /** Why the scan stopped before the end of the file, if it did. */
  readonly problem?: string;
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Reads `[0, fileSize)` in large chunks and checks batch after batch: complete, at least a
 * header long, CRC and counts valid (`validateBatch`), offsets dense from `firstOffset`. Calls
 * `visit` for each valid batch; stops at the first invalid one and says why. Async so the
 * log manager's parallel recovery overlaps one log's reads with another's checks.
 */
export async function scanLogFile(
  fd: number,
  fileSize: number,
  firstOffset: number,
  visit: (batch: ScannedBatch) => void,
): Promise<ScanOutcome> {
  let buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(fileSize, 1)));
  let bufStart = 0;
  let bufLen = 0;
  let pos = 0;
  let expected = firstOffset;
  const stop = (problem: string): ScanOutcome => ({ validBytes: pos, problem });
  while (pos < fileSize) {
    if (fileSize - pos < BATCH_HEADER_SIZE) return stop(`incomplete batch header (${fileSize - pos} bytes)`);
    if (pos + BATCH_HEADER_SIZE > bufStart + bufLen) {
      bufLen = await readAt(fd, buf, Math.min(buf.length, fileSize - pos), pos);
      bufStart = pos;
    }
    const size = peekBatchSize(buf, pos - bufStart);
    if (size < BATCH_HEADER_SIZE) return stop(`batch length ${size} is below the header size`);
    if (pos + size > fileSize)
      return stop(`incomplete batch: ${size} bytes announced, ${fileSize - pos} present`);
    if (pos + size > bufStart + bufLen) {
      if (size > buf.length) buf = Buffer.allocUnsafe(size);
      bufLen = await readAt(fd, buf, Math.min(buf.length, fileSize - pos), pos);
      bufStart = pos;
    }
    const at = pos - bufStart;
    let header: BatchHeader;
    try {
      header = validateBatch(buf, at);
    } catch (err) {
      if (err instanceof CorruptMessageError) return stop(`corrupt batch: ${err.message}`);
      throw err;
    }
    const { baseOffset } = header;
    if (baseOffset !== expected) return stop(`batch base offset ${baseOffset}, expected ${expected}`);
    const lastOffset = baseOffset + header.lastOffsetDelta;
    visit({
      position: pos,
      size,
      baseOffset,
      lastOffset,
      maxTimestamp: header.maxTimestamp,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
    });
    expected = lastOffset + 1;
    pos += size;
  }
  return { validBytes: pos };
}

/** Reads up to `length` bytes at `position` into the start of `buf`, looping over short reads. */
async function readAt(fd: number, buf: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(fd, buf, done, length - done, position + done, (err, bytes) =>
        err ? reject(err) : resolve(bytes),
      ),
    );
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Synchronous pread of exactly `length` bytes (fewer only at end of file). */
export function readSyncAt(fd: number, buf: Buffer, length: number, position: number, into = 0): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, into + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
