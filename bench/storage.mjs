// Storage benchmark: PartitionLog append and read against a plain sequential fs loop writing and
// reading the same bytes in the same chunks with the same fsync policy.
//
//   npx tsc -b services/broker && node bench/storage.mjs        (BENCH_BYTES=64m for a quick run)
//
// Batches are encoded before timing (the broker receives encoded bytes) from a pool of distinct
// batches reused in turn; the log stamps offsets into them in place as a produce request's would be.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  formatBytes,
  mbPerSec,
  parseBytes,
  progress,
  secondsSince,
  table,
  writeResults,
} from './lib/report.mjs';

const require = createRequire(import.meta.url);
const storage = require('../services/broker/dist/storage/index.js');
const { encodeRecordBatch, verifyBatchCrc } = require('../packages/record-batch/dist/index.js');

const TOTAL = parseBytes(process.env.BENCH_BYTES, 2 ** 30);
const BATCH_BYTES = 16 * 1024;
const FSYNC_EVERY = 1024 * 1024;
const READ_CHUNK = 1024 * 1024;
const POOL_BYTES = Math.min(TOTAL, 64 * 1024 * 1024);
/** Runs of each phase; the median is reported. */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-bench-storage-'));
const bar = progress(Math.ceil((TOTAL * 20 * RUNS) / 2 ** 20), 'MiB');
let doneBytes = 0;
const advance = (bytes, label) => {
  doneBytes += bytes;
  bar.update(Math.floor(doneBytes / 2 ** 20), label);
};

/** Distinct batches of `recordSize`-byte records, about 16 KiB each, POOL_BYTES in all. */
function encodePool(recordSize) {
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / (recordSize + 8)));
  const pool = [];
  let bytes = 0;
  let n = 0;
  while (bytes < POOL_BYTES) {
    const records = [];
    for (let i = 0; i < perBatch; i++) {
      const value = Buffer.allocUnsafe(recordSize);
      value.fill(`record ${n++} `);
      records.push({ key: null, value, timestamp: Date.now() });
    }
    const batch = encodeRecordBatch(records);
    pool.push(batch);
    bytes += batch.length;
  }
  return { pool, perBatch, batchSize: pool[0].length };
}

/** The batches to append: the pool in turn until TOTAL bytes. */
function* batches(pool) {
  let bytes = 0;
  for (let i = 0; bytes < TOTAL; i++) {
    const b = pool[i % pool.length];
    bytes += b.length;
    yield b;
  }
}

/**
 * The plain loop: one write per batch, an fdatasync every FSYNC_EVERY bytes. With `crc`, it also
 * computes each batch's CRC-32C (the bytes after the CRC field) before writing it, the one check
 * of every byte the log must make by contract (Kafka's `ensureValid` on append): the floor for
 * any log that validates, so the log's own overhead is its time beyond this loop.
 */
function plainWrite(file, pool, fsync, crc = false) {
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let sinceSync = 0;
  let count = 0;
  const start = process.hrtime.bigint();
  for (const b of batches(pool)) {
    if (crc && !verifyBatchCrc(b)) throw new Error('CRC mismatch in the pool');
    fs.writeSync(fd, b);
    bytes += b.length;
    count++;
    if (fsync) {
      sinceSync += b.length;
      if (sinceSync >= FSYNC_EVERY) {
        fs.fdatasyncSync(fd);
        sinceSync = 0;
      }
    }
    if ((count & 1023) === 0) advance(1024 * b.length, crc ? 'plain write + CRC' : 'plain write');
  }
  const seconds = secondsSince(start);
  fs.closeSync(fd);
  return { bytes, batches: count, seconds };
}

async function logWrite(dir, pool, perBatch, batchSize, fsync) {
  const batchesPerSync = Math.ceil(FSYNC_EVERY / batchSize);
  const config = storage.logConfig({
    flushMessages: fsync ? batchesPerSync * perBatch : Number.MAX_SAFE_INTEGER,
    flushMs: Number.MAX_SAFE_INTEGER,
  });
  const log = await storage.PartitionLog.open({ dir, config });
  let bytes = 0;
  let count = 0;
  const start = process.hrtime.bigint();
  for (const b of batches(pool)) {
    log.append(b, 0);
    bytes += b.length;
    count++;
    if ((count & 1023) === 0) advance(1024 * b.length, 'log append');
  }
  const seconds = secondsSince(start);
  await log.flushAsync();
  return { log, bytes, batches: count, seconds, records: log.logEndOffset };
}

/**
 * Reads the file in READ_CHUNK preads. With `reuse`, into one buffer (the syscall's speed alone);
 * without, into a fresh buffer per read, as any server that hands the bytes on must (and as the
 * log's read does): that is the baseline the log is compared with.
 */
function plainRead(file, reuse) {
  const fd = fs.openSync(file, 'r');
  const size = fs.fstatSync(fd).size;
  const shared = Buffer.allocUnsafe(READ_CHUNK);
  let bytes = 0;
  let reads = 0;
  const start = process.hrtime.bigint();
  while (bytes < size) {
    const buf = reuse ? shared : Buffer.allocUnsafe(READ_CHUNK);
    const n = fs.readSync(fd, buf, 0, READ_CHUNK, bytes);
    if (n === 0) break;
    bytes += n;
    if ((++reads & 63) === 0) advance(64 * READ_CHUNK, 'plain read');
  }
  const seconds = secondsSince(start);
  fs.closeSync(fd);
  return { bytes, seconds };
}

/** Reads the whole log in READ_CHUNK fetches, as a consumer would, following the last batch of each. */
function logRead(log, limit = Number.POSITIVE_INFINITY) {
  let offset = log.logStartOffset;
  const end = Math.min(log.logEndOffset, limit);
  let bytes = 0;
  let reads = 0;
  const start = process.hrtime.bigint();
  while (offset < end) {
    const chunk = log.read(offset, READ_CHUNK);
    let pos = 0;
    let last = 0;
    while (pos < chunk.length) {
      last = pos;
      pos += 12 + chunk.readInt32BE(pos + 8);
    }
    offset = Number(chunk.readBigInt64BE(last)) + chunk.readInt32BE(last + 23) + 1;
    bytes += chunk.length;
    if ((++reads & 63) === 0) advance(64 * READ_CHUNK, 'log read');
  }
  return { bytes, seconds: secondsSince(start) };
}

function dropFile(file) {
  fs.rmSync(file, { recursive: true, force: true });
}

const cases = [];
function addCase(name, measured, baseline, records, withCrc) {
  const mb = mbPerSec(measured.bytes, measured.seconds);
  const baseMb = mbPerSec(baseline.bytes, baseline.seconds);
  cases.push({
    name,
    mbPerSec: round(mb),
    recordsPerSec: Math.round(records / measured.seconds),
    baseline: {
      name: 'plain fs loop',
      mbPerSec: round(baseMb),
      recordsPerSec: Math.round(records / baseline.seconds),
    },
    ratio: round(mb / baseMb, 3),
    ...(withCrc && {
      baselineWithCrc: {
        name: 'plain fs loop + CRC-32C of each batch',
        mbPerSec: round(mbPerSec(withCrc.bytes, withCrc.seconds)),
      },
      ratioToBaselineWithCrc: round(mb / mbPerSec(withCrc.bytes, withCrc.seconds), 3),
    }),
    bytes: measured.bytes,
    records,
    seconds: round(measured.seconds, 3),
  });
}
const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The run with the median time. */
function median(runs) {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
}

async function runCase(recordSize, pool, perBatch, batchSize, fsync) {
  const plainFile = path.join(root, 'plain.data');
  const logDir = path.join(root, 'bench-0');
  const runs = { plain: [], plainCrc: [], log: [], plainRead: [], plainReadReused: [], logRead: [] };
  let records = 0;
  const plainPhase = () => {
    runs.plain.push(plainWrite(plainFile, pool, fsync));
    dropFile(plainFile);
    runs.plainCrc.push(plainWrite(plainFile, pool, fsync, true));
    if (!fsync) {
      plainRead(plainFile, false); // warm-up: JIT and allocator, not timed
      runs.plainRead.push(plainRead(plainFile, false));
      runs.plainReadReused.push(plainRead(plainFile, true));
    }
    dropFile(plainFile);
  };
  const logPhase = async () => {
    const written = await logWrite(logDir, pool, perBatch, batchSize, fsync);
    runs.log.push(written);
    records = written.records;
    if (!fsync) {
      logRead(written.log); // warm-up, as for the plain loop
      runs.logRead.push(logRead(written.log));
    }
    written.log.close();
    dropFile(logDir);
  };
  // Alternate which goes first, so neither always inherits the other's dirty pages.
  for (let r = 0; r < RUNS; r++) {
    if (r % 2 === 0) {
      plainPhase();
      await logPhase();
    } else {
      await logPhase();
      plainPhase();
    }
  }
  const label = `${recordSize} B records, ${formatBytes(batchSize)} batches, ${fsync ? 'fsync every 1 MiB' : 'no fsync'}`;
  addCase(`append ${label}`, median(runs.log), median(runs.plain), records, median(runs.plainCrc));
  if (!fsync) {
    addCase(
      `read ${recordSize} B records (page cache, ${formatBytes(READ_CHUNK)} fetches)`,
      median(runs.logRead),
      median(runs.plainRead),
      records,
    );
    const reused = median(runs.plainReadReused);
    cases.at(-1).baselineReusedBuffer = { mbPerSec: round(mbPerSec(reused.bytes, reused.seconds)) };
  }
}

try {
  for (const recordSize of [1024, 100]) {
    const { pool, perBatch, batchSize } = encodePool(recordSize);
    for (const fsync of [false, true]) await runCase(recordSize, pool, perBatch, batchSize, fsync);
  }
} finally {
  bar.stop();
  fs.rmSync(root, { recursive: true, force: true });
}

console.log(`storage bench: ${formatBytes(TOTAL)} per case, median of ${RUNS} runs, MB = 10^6 bytes`);
console.log(
  table(
    ['case', 'MB/s', 'records/s', 'baseline MB/s', 'ratio', 'baseline + CRC MB/s', 'ratio to it'],
    cases.map((c) => [
      c.name,
      c.mbPerSec,
      c.recordsPerSec.toLocaleString('en'),
      c.baseline.mbPerSec,
      c.ratio,
      c.baselineWithCrc?.mbPerSec ?? '',
      c.ratioToBaselineWithCrc ?? '',
    ]),
  ),
);
const file = writeResults('storage', cases, {
  totalBytesPerCase: TOTAL,
  batchBytes: BATCH_BYTES,
  fsyncEvery: FSYNC_EVERY,
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
