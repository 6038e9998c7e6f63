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
  expect(fs.readdirSync(dataDir)).toEqual(['orders-eu-1']);
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
  expect(fs.readFileSync(path.join(dataDir, 'short-0', 'high-watermark-checkpoint'), 'utf8')).toBe(
    '0\n1\n3\n',
  );
});
