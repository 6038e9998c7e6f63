// Clean shutdown and the start after it, for a broker's log manager holding many logs (issue 13).
//
//   npx tsc -b services/broker && node bench/shutdown.mjs       (BENCH_LOGS=1000 for a quick run)
//
// Opens BENCH_LOGS (default 10,000) new logs in one data directory, appends one 1 KB batch to each
// and sets its high watermark (every log then holds unflushed data, as after produce), and times
// `stop()`; then a new log manager's `start()` on that directory; then its `stop()` with nothing
// written (idle logs). BENCH_STORAGE_DIST points at another build's storage module (A/B runs).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const storage = require(
  process.env.BENCH_STORAGE_DIST ?? path.resolve('services/broker/dist/storage/index.js'),
);
const { encodeRecordBatch } = require('../packages/record-batch/dist/index.js');

const LOGS = Number(process.env.BENCH_LOGS ?? 10_000);
const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'tributary-bench-shutdown-'));
const ms = (t0) => Math.round(performance.now() - t0);

try {
  const first = new storage.LogManager({ dataDir: root });
  await first.start();
  const batch = encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(100, i) })));
  let t0 = performance.now();
  for (let p = 0; p < LOGS; p++) {
    const log = await first.getOrCreate('shutdown', p);
    log.append(batch, 0);
    log.highWatermark = log.logEndOffset;
  }
  const createMs = ms(t0);
  t0 = performance.now();
  await first.stop();
  const dirtyStopMs = ms(t0);

  const second = new storage.LogManager({ dataDir: root });
  t0 = performance.now();
  const report = await second.start();
  const startMs = ms(t0);
  const summary = storage.LogManager.summarize(report);
  t0 = performance.now();
  await second.stop();
  const idleStopMs = ms(t0);
  console.log(
    JSON.stringify({
      logs: LOGS,
      createMs,
      dirtyStopMs,
      startMs,
      uncleanLogs: summary.uncleanLogs,
      recoveredSegments: summary.recoveredSegments,
      idleStopMs,
      loadAverage: os.loadavg().map((l) => l.toFixed(2)),
    }),
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
