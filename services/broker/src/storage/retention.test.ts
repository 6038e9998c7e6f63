import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch } from '@tributary/record-batch';
import { logConfig } from '@tributary/topic-config';
import { ManualClock } from './clock';
import { PartitionLog } from './partition-log';
import { segmentsToDelete } from './retention';

describe('segmentsToDelete', () => {
  const seg = (size: number, maxTimestamp: number, nextOffset: number) => ({
    size,
    maxTimestamp,
    nextOffset,
  });
  const segments = [seg(100, 1000, 10), seg(100, 2000, 20), seg(100, 3000, 30), seg(50, 4000, 35)];
  const none = { retentionMs: -1, retentionBytes: -1 };

  test('-1 disables both', () => {
    expect(segmentsToDelete(segments, 35, none, 1e9)).toBe(0);
  });
  test('by time: the expired prefix, never the active segment', () => {
    expect(segmentsToDelete(segments, 35, { ...none, retentionMs: 1500 }, 3600)).toBe(2);
    expect(segmentsToDelete(segments, 35, { ...none, retentionMs: 0 }, 1e9)).toBe(3);
  });
  test('by size: the oldest while the rest still exceeds the limit', () => {
    expect(segmentsToDelete(segments, 35, { ...none, retentionBytes: 250 }, 0)).toBe(1);
    expect(segmentsToDelete(segments, 35, { ...none, retentionBytes: 150 }, 0)).toBe(2);
    expect(segmentsToDelete(segments, 35, { ...none, retentionBytes: 0 }, 0)).toBe(3);
  });
  test('whichever deletes more wins', () => {
    expect(segmentsToDelete(segments, 35, { retentionMs: 1500, retentionBytes: 250 }, 2600)).toBe(1);
    expect(segmentsToDelete(segments, 35, { retentionMs: 500, retentionBytes: 300 }, 2600)).toBe(2);
  });
  test('nothing at or above the high watermark', () => {
    expect(segmentsToDelete(segments, 19, { ...none, retentionBytes: 0 }, 0)).toBe(1);
    expect(segmentsToDelete(segments, 9, { ...none, retentionBytes: 0 }, 0)).toBe(0);
  });
});

describe('PartitionLog retention', () => {
  let dir: string;
  let clock: ManualClock;
  let log: PartitionLog;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
    clock = new ManualClock();
  });
  afterEach(() => {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const batch = (timestamp = clock.now()) =>
    encodeRecordBatch([
      { value: Buffer.alloc(100, 1), timestamp },
      { value: Buffer.alloc(100, 2), timestamp },
    ]);
  const batchSize = batch(0).length;

  test('by size: deletes closed segments, advances the log start offset and the epoch cache', async () => {
    log = await PartitionLog.open({
      dir,
      clock,
      config: logConfig({ segmentBytes: batchSize * 2, retentionBytes: batchSize * 5, retentionMs: -1 }),
    });
    for (let i = 0; i < 5; i++) log.append(batch(), 1);
    for (let i = 0; i < 5; i++) log.append(batch(), 2);
    expect(log.segmentBaseOffsets).toEqual([0, 4, 8, 12, 16]);
    expect(log.applyRetention()).toBe(0); // high watermark still 0: nothing is replicated
    log.highWatermark = log.logEndOffset;
    expect(log.applyRetention()).toBe(2);
    expect(log.segmentBaseOffsets).toEqual([8, 12, 16]);
    expect(log.logStartOffset).toBe(8);
    expect(log.size).toBe(batchSize * 6);
    expect(log.epochEntries).toEqual([
      { epoch: 1, startOffset: 8 },
      { epoch: 2, startOffset: 10 },
    ]);
    expect(() => log.read(0, 100)).toThrow(expect.objectContaining({ earliest: 8 }));
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.log'))).toHaveLength(3);
  });

  test('by time with the injected clock: only segments whose newest record is old enough', async () => {
    log = await PartitionLog.open({
      dir,
      clock,
      config: logConfig({ segmentBytes: batchSize * 2, retentionMs: 60_000 }),
    });
    for (let i = 0; i < 6; i++) {
      log.append(batch(), 0);
      clock.advance(10_000);
    }
    log.highWatermark = log.logEndOffset;
    expect(log.segmentBaseOffsets).toEqual([0, 4, 8]);
    expect(log.applyRetention()).toBe(0);
    clock.advance(20_001); // segment 0's newest record (t=10 s) is now 60.001 s old
    expect(log.applyRetention()).toBe(1);
    clock.advance(1_000_000);
    expect(log.applyRetention()).toBe(1); // never the active segment
    expect(log.segmentBaseOffsets).toEqual([8]);
  });
});
