import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch } from '@tributary/record-batch';
import { logConfig } from '@tributary/topic-config';
import { ManualClock } from './clock';
import { LogManager } from './log-manager';

let dataDir: string;
let manager: LogManager | undefined;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-manager-'));
});
afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const batch = (n: number) =>
  encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })));

test('creates, reopens every partition at start with a report, and deletes', async () => {
  const clock = new ManualClock();
  manager = new LogManager({ dataDir, clock });
  expect((await manager.start()).logs).toEqual([]);
  const a = await manager.getOrCreate('orders-eu', 0);
  const b = await manager.getOrCreate('orders-eu', 1);
  expect(await manager.getOrCreate('orders-eu', 0)).toBe(a);
  a.append(batch(3), 0);
  b.append(batch(5), 0);
  await manager.stop();

  manager = new LogManager({ dataDir, clock });
  const report = await manager.start();
  expect(
    report.logs.map((l) => [l.topic, l.partition, l.report.logEndOffset, l.report.cleanShutdown]),
  ).toEqual([
    ['orders-eu', 0, 3, true],
    ['orders-eu', 1, 5, true],
  ]);
  expect(report.totalMs).toBeGreaterThanOrEqual(0);
  expect(manager.get('orders-eu', 1)!.logEndOffset).toBe(5);

  await manager.delete('orders-eu', 0);
  expect(manager.get('orders-eu', 0)).toBeUndefined();
  expect(fs.readdirSync(dataDir).sort()).toEqual([
    'orders-eu-1',
    'recovery-point-offset-checkpoint',
    'replication-offset-checkpoint',
  ]);
});

test('removes leftovers of an interrupted delete at start', async () => {
  fs.mkdirSync(path.join(dataDir, 'gone-0.1700000000000-delete'));
  manager = new LogManager({ dataDir });
  const report = await manager.start();
  expect(report.removedDeletedDirs).toBe(1);
  expect(fs.readdirSync(dataDir)).toEqual([]);
});

test('retention and flush run on demand with the configured policy', async () => {
  const clock = new ManualClock();
  const config = logConfig({ segmentBytes: 14, retentionMs: 1000, flushMs: 500 });
  manager = new LogManager({
    dataDir,
    clock,
    configFor: (topic) => (topic === 'short' ? config : undefined),
  });
  await manager.start();
  const log = await manager.getOrCreate('short', 0);
  for (let i = 0; i < 3; i++)
    log.append(encodeRecordBatch([{ value: Buffer.from('x'), timestamp: clock.now() }]), 0);
  log.highWatermark = log.logEndOffset;
  clock.advance(1001);
  expect(manager.runRetention()).toBe(2);
  expect(log.logStartOffset).toBe(2);
  await manager.runFlush();
  expect(log.recoveryPoint).toBe(3);
  manager.checkpointHighWatermarks();
  expect(fs.readFileSync(path.join(dataDir, 'replication-offset-checkpoint'), 'utf8')).toBe(
    '0\n1\nshort 0 3\n',
  );
});

test('the flush check looks only at logs written to since their last flush', async () => {
  const clock = new ManualClock();
  manager = new LogManager({ dataDir, clock, defaultConfig: logConfig({ flushMs: 500 }) });
  await manager.start();
  const logs = await Promise.all(Array.from({ length: 100 }, (_, p) => manager!.getOrCreate('many', p)));
  expect(manager.unflushedLogs).toBe(0);
  logs[7]!.append(batch(2), 0);
  logs[42]!.append(batch(3), 0);
  expect(manager.unflushedLogs).toBe(2);
  await manager.runFlush(); // not due yet: both stay
  expect(manager.unflushedLogs).toBe(2);
  clock.advance(501);
  await manager.runFlush();
  expect([logs[7]!.recoveryPoint, logs[42]!.recoveryPoint]).toEqual([2, 3]);
  await manager.runFlush(); // flushed: dropped from the check
  expect(manager.unflushedLogs).toBe(0);

  // A deleted log leaves the check.
  logs[7]!.append(batch(1), 0);
  await manager.delete('many', 7);
  expect(manager.unflushedLogs).toBe(0);
});

describe('high-watermark checkpoint: one file for the data directory', () => {
  const checkpointFile = () => path.join(dataDir, 'replication-offset-checkpoint');
  /** The file with its entries sorted (they are written in the order the logs opened). */
  const checkpointed = () => {
    const [version, count, ...entries] = fs
      .readFileSync(checkpointFile(), 'utf8')
      .split('\n')
      .filter(Boolean);
    return [version, count, ...entries.sort()].join('\n');
  };

  test('holds every log, is rewritten only when a high watermark moved or a log went, and is read at start', async () => {
    manager = new LogManager({ dataDir });
    await manager.start();
    const logs = await Promise.all([0, 1, 2].map((p) => manager!.getOrCreate('orders', p)));
    for (const [i, log] of logs.entries()) {
      log.append(batch(i + 2), 0);
      log.highWatermark = i + 1;
    }
    manager.checkpointHighWatermarks();
    expect(checkpointed()).toBe('0\n3\norders 0 1\norders 1 2\norders 2 3');

    // Nothing moved: the file is left alone (its mtime stays whatever it was set to).
    const past = new Date(2000, 0, 1);
    fs.utimesSync(checkpointFile(), past, past);
    manager.checkpointHighWatermarks();
    expect(fs.statSync(checkpointFile()).mtime).toEqual(past);

    await manager.delete('orders', 1);
    manager.checkpointHighWatermarks();
    expect(checkpointed()).toBe('0\n2\norders 0 1\norders 2 3');

    logs[2]!.highWatermark = 4;
    await manager.stop();
    expect(checkpointed()).toBe('0\n2\norders 0 1\norders 2 4');
    expect(fs.readdirSync(path.join(dataDir, 'orders-0'))).not.toContain('high-watermark-checkpoint');

    manager = new LogManager({ dataDir });
    await manager.start();
    expect(manager.get('orders', 0)!.highWatermark).toBe(1);
    expect(manager.get('orders', 2)!.highWatermark).toBe(4);
  });

  test('per-partition files of the layout before are taken over at start, and removed', async () => {
    manager = new LogManager({ dataDir });
    await manager.start();
    for (const p of [0, 1]) (await manager.getOrCreate('legacy', p)).append(batch(5), 0);
    await manager.stop();
    // What the layout before left: a high-watermark-checkpoint in each partition directory and no
    // directory file.
    fs.rmSync(checkpointFile());
    fs.writeFileSync(path.join(dataDir, 'legacy-0', 'high-watermark-checkpoint'), '0\n1\n4\n');
    fs.writeFileSync(path.join(dataDir, 'legacy-1', 'high-watermark-checkpoint'), '0\n1\n2\n');

    manager = new LogManager({ dataDir });
    await manager.start();
    expect(manager.get('legacy', 0)!.highWatermark).toBe(4);
    expect(manager.get('legacy', 1)!.highWatermark).toBe(2);
    expect(checkpointed()).toBe('0\n2\nlegacy 0 4\nlegacy 1 2');
    for (const p of [0, 1])
      expect(fs.readdirSync(path.join(dataDir, `legacy-${p}`))).not.toContain('high-watermark-checkpoint');
  });

  test('a malformed file reads as absent: the logs start from their log start offset', async () => {
    manager = new LogManager({ dataDir });
    await manager.start();
    const log = await manager.getOrCreate('t', 0);
    log.append(batch(5), 0);
    log.highWatermark = 5;
    await manager.stop();
    fs.writeFileSync(checkpointFile(), '0\n2\nt 0 5\n');
    manager = new LogManager({ dataDir });
    await manager.start();
    expect(manager.get('t', 0)!.highWatermark).toBe(0);
  });
});
