/**
 * The data directory's clean-shutdown marker and recovery-point checkpoint (log-manager.ts): what
 * a stop writes, what the next start decides from it, after a clean stop, a crash, a failed close,
 * a truncation, and from the layout before (a marker and a recovery-point file per log).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch } from '@tributary/record-batch';
import { type LogConfig, logConfig } from '@tributary/topic-config';
import { LogManager } from './log-manager';

let dataDir: string;
let manager: LogManager | undefined;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-manager-shutdown-'));
});
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const batch = (n: number) =>
  encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`value ${i}`) })));
const marker = () => path.join(dataDir, 'clean-shutdown');
const recoveryPointFile = () => path.join(dataDir, 'recovery-point-offset-checkpoint');
/** The recovery-point file with its entries sorted (they are written in the order logs opened). */
const recoveryPoints = () => {
  const [version, count, ...entries] = fs
    .readFileSync(recoveryPointFile(), 'utf8')
    .split('\n')
    .filter(Boolean);
  return [version, count, ...entries.sort()].join('\n');
};
/** Small segments, so a few batches make several. */
const config = logConfig({ segmentBytes: 300 });

/** A manager whose timers never fire: dropping it without `stop` is a crash (kill -9). */
function crashable(defaultConfig: LogConfig = config): LogManager {
  const never = 1e9;
  return new LogManager({
    dataDir,
    defaultConfig,
    flushCheckIntervalMs: never,
    highWatermarkCheckpointIntervalMs: never,
    retentionCheckIntervalMs: never,
  });
}

test('a clean stop writes every recovery point, then the marker; the next start scans nothing and removes it', async () => {
  manager = crashable();
  await manager.start();
  const logs = await Promise.all([0, 1, 2].map((p) => manager!.getOrCreate('t', p)));
  for (const [i, log] of logs.entries()) for (let j = 0; j <= i * 4; j++) log.append(batch(5), 0);
  expect(logs.map((l) => l.segmentBaseOffsets.length)).toEqual([1, 3, 5]);
  expect(await manager.stop()).toMatchObject({ logs: 3, clean: true });
  expect(fs.existsSync(marker())).toBe(true);
  expect(recoveryPoints()).toBe('0\n3\nt 0 5\nt 1 25\nt 2 45');

  manager = crashable();
  const report = await manager.start();
  expect(report.cleanShutdown).toBe(true);
  expect(LogManager.summarize(report)).toMatchObject({ logs: 3, uncleanLogs: 0, recoveredSegments: 0 });
  expect(fs.existsSync(marker())).toBe(false);
  expect(manager.get('t', 2)!.logEndOffset).toBe(45);
  expect(manager.get('t', 2)!.recoveryPoint).toBe(45);
});

test('after a crash each log recovers from its checkpointed recovery point, written once a segment fell below it', async () => {
  manager = crashable();
  await manager.start();
  const log = await manager.getOrCreate('t', 0);
  log.append(batch(5), 0);
  await log.flushAsync();
  await new Promise(setImmediate);
  expect(fs.existsSync(recoveryPointFile())).toBe(false); // no segment below the recovery point
  for (let i = 0; i < 8; i++) log.append(batch(5), 0);
  await log.flushAsync(); // after the flushes of the rolls
  await new Promise(setImmediate); // the write they scheduled
  expect(recoveryPoints()).toMatch(/^0\n1\nt 0 (40|45)$/);
  log.append(batch(5), 0); // not flushed
  manager = undefined; // kill -9

  manager = crashable();
  const report = await manager.start();
  expect(report.cleanShutdown).toBe(false);
  expect(report.logs[0]!.report).toMatchObject({ cleanShutdown: false, recoveredSegments: 1 });
  expect(manager.get('t', 0)!.logEndOffset).toBe(50);
});

test('a crash after the recovery points were written but before the marker scans only the last segments', async () => {
  manager = crashable();
  await manager.start();
  const log = await manager.getOrCreate('t', 0);
  for (let i = 0; i < 9; i++) log.append(batch(5), 0);
  await manager.stop();
  fs.rmSync(marker()); // as if killed between the two
  manager = crashable();
  const report = await manager.start();
  expect(report.logs[0]!.report).toMatchObject({ cleanShutdown: false, recoveredSegments: 1, segments: 5 });
});

test('a log that fails to close keeps the marker away: the next start recovers', async () => {
  const errors: unknown[] = [];
  manager = new LogManager({ dataDir, defaultConfig: config, onBackgroundError: (e) => errors.push(e) });
  await manager.start();
  const [a, b] = await Promise.all([0, 1].map((p) => manager!.getOrCreate('t', p)));
  a!.append(batch(5), 0);
  b!.append(batch(5), 0);
  const close = b!.close.bind(b);
  jest.spyOn(b!, 'close').mockImplementationOnce(() => {
    close();
    throw new Error('disk gone');
  });
  expect(await manager.stop()).toMatchObject({ logs: 2, clean: false });
  expect(errors).toEqual([new Error('disk gone')]);
  expect(fs.existsSync(marker())).toBe(false);

  manager = crashable();
  const report = await manager.start();
  expect(report.cleanShutdown).toBe(false);
  expect(LogManager.summarize(report)).toMatchObject({ uncleanLogs: 2 });
});

test('a truncation below the checkpointed recovery point rewrites the file before it returns', async () => {
  manager = crashable();
  await manager.start();
  const log = await manager.getOrCreate('t', 0);
  for (let i = 0; i < 9; i++) log.append(batch(5), 0);
  await manager.stop();
  manager = crashable();
  await manager.start();
  expect(recoveryPoints()).toBe('0\n1\nt 0 45');
  const reopened = manager.get('t', 0)!;
  reopened.truncateTo(42);
  expect(recoveryPoints()).toBe('0\n1\nt 0 40');
  // Appended again past the old value and rolled, but not flushed: all of it is scanned after a crash.
  for (let i = 0; i < 4; i++) reopened.append(batch(5), 0);
  manager = undefined;
  manager = crashable();
  const report = await manager.start();
  expect(report.logs[0]!.report.recoveredSegments).toBeGreaterThanOrEqual(2);
  expect(manager.get('t', 0)!.logEndOffset).toBe(60);
});

test('a log deleted and created again does not inherit the former recovery point', async () => {
  manager = crashable();
  await manager.start();
  const log = await manager.getOrCreate('t', 0);
  for (let i = 0; i < 9; i++) log.append(batch(5), 0);
  await manager.stop();
  manager = crashable();
  await manager.start();
  await manager.delete('t', 0);
  expect(recoveryPoints()).toBe('0\n1\nt 0 45'); // a stale entry is harmless while no log has the name
  const again = await manager.getOrCreate('t', 0);
  expect(recoveryPoints()).toBe('0\n0');
  for (let i = 0; i < 9; i++) again.append(batch(5), 0);
  manager = undefined;
  manager = crashable();
  const report = await manager.start();
  expect(report.logs[0]!.report.recoveredSegments).toBe(5);
});

test('the layout before (a marker and a recovery-point file in each log directory) is taken over', async () => {
  manager = crashable();
  await manager.start();
  for (const p of [0, 1]) {
    const log = await manager.getOrCreate('old', p);
    for (let i = 0; i < 9; i++) log.append(batch(5), 0);
  }
  await manager.stop();
  // What the version before left after a clean shutdown: no data directory files but the high
  // watermarks, a marker and a recovery point in each log's directory.
  fs.rmSync(marker());
  fs.rmSync(recoveryPointFile());
  for (const p of [0, 1]) {
    fs.writeFileSync(path.join(dataDir, `old-${p}`, 'clean-shutdown'), '');
    fs.writeFileSync(path.join(dataDir, `old-${p}`, 'recovery-point-checkpoint'), '0\n1\n40\n');
  }

  manager = crashable();
  let report = await manager.start();
  expect(report.cleanShutdown).toBe(false);
  expect(LogManager.summarize(report)).toMatchObject({ uncleanLogs: 0, recoveredSegments: 0 });
  expect(recoveryPoints()).toBe('0\n2\nold 0 45\nold 1 45');
  for (const p of [0, 1])
    expect(fs.readdirSync(path.join(dataDir, `old-${p}`))).not.toContain('clean-shutdown');
  manager = undefined; // kill -9: the data directory's file is what counts now

  manager = crashable();
  report = await manager.start();
  expect(LogManager.summarize(report)).toMatchObject({ uncleanLogs: 2, recoveredSegments: 2 });
  for (const p of [0, 1]) {
    expect(fs.readdirSync(path.join(dataDir, `old-${p}`))).not.toContain('recovery-point-checkpoint');
    expect(manager.get('old', p)!.logEndOffset).toBe(45);
  }
});

test('after a crash of the layout before, its recovery-point files spare the segments below them', async () => {
  manager = crashable();
  await manager.start();
  const log = await manager.getOrCreate('old', 0);
  for (let i = 0; i < 9; i++) log.append(batch(5), 0);
  await log.flushAsync();
  manager = undefined; // kill -9 of the version before: no data directory files
  fs.rmSync(recoveryPointFile(), { force: true });
  fs.writeFileSync(path.join(dataDir, 'old-0', 'recovery-point-checkpoint'), '0\n1\n40\n');
  manager = crashable();
  const report = await manager.start();
  expect(report.logs[0]!.report).toMatchObject({ cleanShutdown: false, recoveredSegments: 1 });
  expect(manager.get('old', 0)!.logEndOffset).toBe(45);
});
