/**
 * Producer-state snapshot files (Kafka's `<offset>.snapshot`): the idempotence state of a
 * partition — per producer id its epoch and its last cached batches — as it stood when the log
 * end offset was `<offset>`. Opening a log loads the latest snapshot at or below its log end
 * offset and scans only the batches after it, instead of every batch header of the log.
 *
 * Format (big-endian), the only place it is written or read:
 *
 * ```
 * version       int16   1
 * crc           uint32  CRC-32 (zlib's, IEEE) of every byte after this field
 * producerCount int32
 * producerCount times:
 *   producerId    int64
 *   epoch         int16
 *   batchCount    int8    1..MAX_CACHED_BATCHES, oldest first
 *   batchCount times:
 *     firstSeq    int32
 *     lastSeq     int32
 *     baseOffset  int64
 * ```
 *
 * Write: `<name>.tmp`, renamed over `<name>`, never fsynced: after a power cut a snapshot may be
 * missing, empty or torn, which the CRC catches and which only means a longer walk — not worth
 * two more fsyncs per partition at every roll and clean shutdown (the close of a broker with
 * 10,000 partitions pays each of them 10,000 times). A file that is short, long,
 * of another version or whose CRC does not match reads as corrupt: the caller deletes it and
 * falls back to an older snapshot or the full scan. Nothing here is the only copy of anything;
 * the log is the truth.
 *
 * Concurrency: synchronous; one writer per directory (the owning PartitionLog).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { parseSnapshotFileName, snapshotFileName, TMP_SUFFIX } from './file-names';

/** One producer's state as a snapshot holds it. */
export interface ProducerSnapshotEntry {
  readonly producerId: number;
  readonly epoch: number;
  readonly batches: readonly {
    readonly firstSeq: number;
    readonly lastSeq: number;
    readonly baseOffset: number;
  }[];
}

const VERSION = 1;
const HEADER_BYTES = 2 + 4 + 4;
const CRC_FROM = 6;
const BATCH_BYTES = 4 + 4 + 8;

/** Encodes `entries` in the snapshot format. */
export function encodeProducerSnapshot(entries: readonly ProducerSnapshotEntry[]): Buffer {
  let size = HEADER_BYTES;
  for (const e of entries) size += 8 + 2 + 1 + e.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(size);
  let at = 0;
  at = buf.writeInt16BE(VERSION, at);
  at += 4; // the CRC, written last
  at = buf.writeInt32BE(entries.length, at);
  for (const e of entries) {
    if (e.batches.length === 0 || e.batches.length > 127)
      throw new RangeError(`producer ${e.producerId}: ${e.batches.length} cached batches`);
    at = buf.writeBigInt64BE(BigInt(e.producerId), at);
    at = buf.writeInt16BE(e.epoch, at);
    at = buf.writeInt8(e.batches.length, at);
    for (const b of e.batches) {
      at = buf.writeInt32BE(b.firstSeq, at);
      at = buf.writeInt32BE(b.lastSeq, at);
      at = buf.writeBigInt64BE(BigInt(b.baseOffset), at);
    }
  }
  buf.writeUInt32BE(crc32(buf.subarray(CRC_FROM)), 2);
  return buf;
}

/** Decodes a snapshot; undefined when it is corrupt in any way (see the header comment). */
export function decodeProducerSnapshot(buf: Buffer): ProducerSnapshotEntry[] | undefined {
  if (buf.length < HEADER_BYTES || buf.readInt16BE(0) !== VERSION) return undefined;
  if (buf.readUInt32BE(2) !== crc32(buf.subarray(CRC_FROM))) return undefined;
  const count = buf.readInt32BE(6);
  const entries: ProducerSnapshotEntry[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at + 11 > buf.length) return undefined;
    const producerId = Number(buf.readBigInt64BE(at));
    const epoch = buf.readInt16BE(at + 8);
    const batchCount = buf.readInt8(at + 10);
    at += 11;
    if (batchCount <= 0 || at + batchCount * BATCH_BYTES > buf.length) return undefined;
    const batches = [];
    for (let b = 0; b < batchCount; b++) {
      batches.push({
        firstSeq: buf.readInt32BE(at),
        lastSeq: buf.readInt32BE(at + 4),
        baseOffset: Number(buf.readBigInt64BE(at + 8)),
      });
      at += BATCH_BYTES;
    }
    if (!Number.isSafeInteger(producerId) || !batches.every((b) => Number.isSafeInteger(b.baseOffset)))
      return undefined;
    entries.push({ producerId, epoch, batches });
  }
  return at === buf.length ? entries : undefined;
}

/** The snapshot files of a log directory, by offset (ascending). */
export function listProducerSnapshots(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .flatMap((name) => parseSnapshotFileName(name) ?? [])
    .sort((a, b) => a - b);
}

/** Writes the snapshot of the state at log end offset `offset`, replacing one of that offset. */
export function writeProducerSnapshot(
  dir: string,
  offset: number,
  entries: readonly ProducerSnapshotEntry[],
): void {
  const file = path.join(dir, snapshotFileName(offset));
  const tmp = file + TMP_SUFFIX;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, encodeProducerSnapshot(entries));
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The snapshot at `offset`: its entries, or undefined when it is absent or corrupt. */
export function readProducerSnapshot(dir: string, offset: number): ProducerSnapshotEntry[] | undefined {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path.join(dir, snapshotFileName(offset)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return decodeProducerSnapshot(buf);
}

/** Removes the snapshot at `offset` (absent is fine). */
export function deleteProducerSnapshot(dir: string, offset: number): void {
  fs.rmSync(path.join(dir, snapshotFileName(offset)), { force: true });
}
