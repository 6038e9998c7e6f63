import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CorruptMessageError, MessageTooLargeError, OffsetOutOfRangeError } from '@tributary/errors';
import { batchesIn, decodeRecordBatch, encodeRecordBatch, TimestampType } from '@tributary/record-batch';
import { logConfig } from '@tributary/topic-config';
import { ManualClock } from './clock';
import { UnexpectedAppendOffsetError } from './log-validator';
import { PartitionLog } from './partition-log';

let dir: string;
let clock: ManualClock;
const open: PartitionLog[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'partition-log-'));
  clock = new ManualClock();
});
afterEach(() => {
  for (const log of open.splice(0)) log.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openLog(overrides: Parameters<typeof logConfig>[0] = {}): Promise<PartitionLog> {
  const log = await PartitionLog.open({ dir: path.join(dir, 't-0'), config: logConfig(overrides), clock });
  open.push(log);
  return log;
}

/** A batch of `count` records with values `${tag}-${i}` of `valueSize` bytes, stamped at the clock. */
function batch(count: number, tag = 'v', valueSize = 10, timestamp = clock.now()): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.from(`${tag}-${i}`.padEnd(valueSize, '.')),
    timestamp,
  }));
  return encodeRecordBatch(records);
}

function offsetsIn(bytes: Buffer): number[] {
  const out: number[] = [];
  for (const b of batchesIn(bytes))
    for (const r of decodeRecordBatch(bytes, b.position).records) out.push(r.offset);
  return out;
}

function baseOffsetsIn(bytes: Buffer): number[] {
  return [...batchesIn(bytes)].map((b) => b.header.baseOffset);
}

describe('append and read', () => {
  test('assigns dense offsets, stamps epoch, reads back the stored bytes', async () => {
    const log = await openLog();
    const first = log.append(batch(3), 5);
    const second = log.append(batch(2), 5);
    expect(first).toEqual({ baseOffset: 0, lastOffset: 2, logAppendTime: -1, recordCount: 3 });
    expect(second.baseOffset).toBe(3);
    expect(log.logEndOffset).toBe(5);
    const bytes = log.read(0, 1 << 20);
    expect(offsetsIn(bytes)).toEqual([0, 1, 2, 3, 4]);
    expect([...batchesIn(bytes)].map((b) => b.header.partitionLeaderEpoch)).toEqual([5, 5]);
    expect(log.read(5, 100).length).toBe(0);
  });

  test('read starts with the batch containing the offset', async () => {
    const log = await openLog();
    log.append(batch(4), 0);
    log.append(batch(4), 0);
    expect(baseOffsetsIn(log.read(2, 1 << 20))).toEqual([0, 4]);
    expect(baseOffsetsIn(log.read(5, 1 << 20))).toEqual([4]);
  });

  test('maxBytes is soft: the first batch always comes whole', async () => {
    const log = await openLog();
    const size = batch(5, 'x', 100).length;
    log.append(batch(5, 'x', 100), 0);
    log.append(batch(5, 'x', 100), 0);
    expect(log.read(0, 1).length).toBe(size);
    expect(log.read(0, 2 * size - 1).length).toBe(size);
    expect(log.read(0, 2 * size).length).toBe(2 * size);
  });

  test('maxOffset: no batch starting at or beyond it', async () => {
    const log = await openLog();
    for (let i = 0; i < 4; i++) log.append(batch(2), 0);
    expect(baseOffsetsIn(log.read(0, 1 << 20, 4))).toEqual([0, 2]);
    expect(baseOffsetsIn(log.read(0, 1 << 20, 5))).toEqual([0, 2, 4]);
    expect(log.read(4, 1 << 20, 4).length).toBe(0);
  });

  test('out of range reads name earliest and latest', async () => {
    const log = await openLog();
    log.append(batch(2), 0);
    expect(() => log.read(3, 100)).toThrow(OffsetOutOfRangeError);
    try {
      log.read(-1, 100);
    } catch (err) {
      expect(err).toMatchObject({ earliest: 0, latest: 2 });
    }
  });

  test('a batch of exactly max.message.bytes is accepted, one byte more is refused', async () => {
    const exact = batch(1, 'big', 500);
    const log = await openLog({ maxMessageBytes: exact.length });
    expect(log.append(exact, 0).baseOffset).toBe(0);
    const bigger = batch(1, 'big', 501);
    expect(bigger.length).toBe(exact.length + 1);
    expect(() => log.append(bigger, 0)).toThrow(MessageTooLargeError);
    expect(log.logEndOffset).toBe(1);
  });

  test('multi-batch append is all or nothing', async () => {
    const log = await openLog();
    log.append(batch(1), 0);
    const good = batch(2);
    const bad = batch(2);
    bad[bad.length - 1]! ^= 0xff; // breaks the CRC
    const buf = Buffer.concat([good, bad]);
    expect(() => log.append(buf, 0)).toThrow(CorruptMessageError);
    expect(log.logEndOffset).toBe(1);
    expect(baseOffsetsIn(log.read(0, 1 << 20))).toEqual([0]);
    expect(() => log.append(Buffer.concat([good, bad.subarray(0, 30)]), 0)).toThrow(CorruptMessageError);
    const info = log.append(Buffer.concat([batch(2), batch(3)]), 0);
    expect(info).toMatchObject({ baseOffset: 1, lastOffset: 5, recordCount: 5 });
  });

  test('LogAppendTime topics stamp the broker time', async () => {
    const log = await openLog({ messageTimestampType: 'LogAppendTime' });
    clock.advance(1234);
    const info = log.append(batch(2, 'v', 10, 5), 0);
    expect(info.logAppendTime).toBe(clock.now());
    const decoded = decodeRecordBatch(log.read(0, 1 << 20));
    expect(decoded.header.timestampType).toBe(TimestampType.LogAppendTime);
    expect(decoded.header.maxTimestamp).toBe(clock.now());
  });

  test('onAppend tells the new log end offset; unsubscribe stops it', async () => {
    const log = await openLog();
    const seen: number[] = [];
    const off = log.onAppend((leo) => seen.push(leo));
    log.append(batch(2), 0);
    off();
    log.append(batch(2), 0);
    expect(seen).toEqual([2]);
  });

  test('high watermark is clamped to the log end offset; the checkpointed one too at open', async () => {
    const log = await openLog();
    log.append(batch(3), 0);
    const seen: number[] = [];
    log.onHighWatermark((hw) => seen.push(hw));
    log.highWatermark = 10;
    expect(log.highWatermark).toBe(3);
    expect(seen).toEqual([3]);
    log.close();
    open.pop();
    const reopened = await PartitionLog.open({
      dir: path.join(dir, 't-0'),
      clock,
      checkpointedHighWatermark: 7,
    });
    open.push(reopened);
    expect(reopened.highWatermark).toBe(3);
  });

  test('a high-watermark-checkpoint of the layout before is read once, then removed', async () => {
    const log = await openLog();
    log.append(batch(3), 0);
    log.close();
    open.pop();
    fs.writeFileSync(path.join(dir, 't-0', 'high-watermark-checkpoint'), '0\n1\n2\n');
    const reopened = await openLog();
    expect(reopened.highWatermark).toBe(2);
    expect(fs.existsSync(path.join(dir, 't-0', 'high-watermark-checkpoint'))).toBe(false);
  });

  test('an older leader epoch is fenced', async () => {
    const log = await openLog();
    log.append(batch(1), 3);
    expect(() => log.append(batch(1), 2)).toThrow(/FENCED|older/);
  });
});

describe('segments', () => {
  test('rolls by segment.bytes and reads across segment boundaries', async () => {
    const one = batch(4, 'r', 50);
    const log = await openLog({ segmentBytes: one.length * 3, indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) log.append(batch(4, 'r', 50), 0);
    expect(log.segmentBaseOffsets).toEqual([0, 12, 24, 36]);
    expect(offsetsIn(log.read(0, 1 << 20))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(baseOffsetsIn(log.read(10, one.length * 3))).toEqual([8, 12, 16]);
    expect(baseOffsetsIn(log.read(13, 1 << 20, 30))).toEqual([12, 16, 20, 24, 28]);
  });

  test('rolls by segment.ms measured from the first append', async () => {
    const log = await openLog({ segmentMs: 1000 });
    log.append(batch(1), 0);
    clock.advance(999);
    log.append(batch(1), 0);
    expect(log.segmentBaseOffsets).toEqual([0]);
    clock.advance(1);
    log.append(batch(1), 0);
    expect(log.segmentBaseOffsets).toEqual([0, 2]);
  });

  test('rolls when the offset index is full', async () => {
    const log = await openLog({ segmentIndexBytes: 16, indexIntervalBytes: 0 });
    for (let i = 0; i < 6; i++) log.append(batch(1), 0);
    expect(log.segmentBaseOffsets).toEqual([0, 3]);
    expect(offsetsIn(log.read(0, 1 << 20))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('offsetForTimestamp searches across segments with the time index', async () => {
    const log = await openLog({ segmentBytes: 400, indexIntervalBytes: 1 });
    const start = clock.now();
    for (let i = 0; i < 20; i++) {
      // two records per batch, the second 5 ms after the first
      const records = [0, 5].map((d) => ({ value: Buffer.from(`r${i}`), timestamp: start + i * 10 + d }));
      log.append(encodeRecordBatch(records), 0);
    }
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(3);
    expect(log.offsetForTimestamp(start - 100)).toBe(0);
    expect(log.offsetForTimestamp(start)).toBe(0);
    expect(log.offsetForTimestamp(start + 1)).toBe(1);
    expect(log.offsetForTimestamp(start + 70)).toBe(14);
    expect(log.offsetForTimestamp(start + 73)).toBe(15);
    expect(log.offsetForTimestamp(start + 195)).toBe(39);
    expect(log.offsetForTimestamp(start + 196)).toBeUndefined();
  });
});

describe('replication', () => {
  test('truncateTo cuts segments, indexes and the epoch cache', async () => {
    const log = await openLog({ segmentBytes: 300, indexIntervalBytes: 1 });
    for (let i = 0; i < 6; i++) log.append(batch(2), 1);
    for (let i = 0; i < 6; i++) log.append(batch(2), 3);
    expect(log.epochEntries).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 12 },
    ]);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 12 });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 12 });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 24 });
    log.highWatermark = 20;
    expect(log.truncateTo(11)).toBe(10); // offset 11 is inside the batch 10-11
    expect(log.logEndOffset).toBe(10);
    expect(log.highWatermark).toBe(10);
    expect(log.epochEntries).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(offsetsIn(log.read(0, 1 << 20))).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(log.append(batch(2), 4).baseOffset).toBe(10);
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 1, endOffset: 10 });
    expect(log.truncateTo(0)).toBe(0);
    expect(log.segmentBaseOffsets).toEqual([0]);
    expect(log.read(0, 100).length).toBe(0);
  });

  test('appendAsFollower keeps offsets and epochs, refuses gaps and overlaps', async () => {
    const leader = await openLog();
    leader.append(batch(3), 2);
    leader.append(batch(2), 4);
    const fetched = leader.read(0, 1 << 20);
    const follower = await PartitionLog.open({ dir: path.join(dir, 'f-0'), clock });
    open.push(follower);
    const info = follower.appendAsFollower(Buffer.from(fetched));
    expect(info).toMatchObject({ baseOffset: 0, lastOffset: 4, recordCount: 5 });
    expect(follower.epochEntries).toEqual([
      { epoch: 2, startOffset: 0 },
      { epoch: 4, startOffset: 3 },
    ]);
    expect(follower.read(0, 1 << 20).equals(fetched)).toBe(true);
    expect(() => follower.appendAsFollower(Buffer.from(fetched))).toThrow(UnexpectedAppendOffsetError);
    leader.append(batch(1), 4);
    leader.append(batch(1), 4);
    const gap = leader.read(6, 1 << 20);
    expect(() => follower.appendAsFollower(Buffer.from(gap))).toThrow(UnexpectedAppendOffsetError);
    expect(follower.logEndOffset).toBe(5);
  });

  test('truncateFullyAndStartAt empties the log at a new offset', async () => {
    const log = await openLog();
    log.append(batch(3), 1);
    log.truncateFullyAndStartAt(100);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark]).toEqual([100, 100, 100]);
    expect(log.epochEntries).toEqual([]);
    expect(log.append(batch(1), 2).baseOffset).toBe(100);
    log.close();
    open.pop();
    const reopened = await openLog();
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([100, 101]);
  });
});

describe('flush', () => {
  test('flush.messages fsyncs and advances the recovery point', async () => {
    const log = await openLog({ flushMessages: 4 });
    log.append(batch(3), 0);
    expect(log.recoveryPoint).toBe(0);
    log.append(batch(1), 0);
    expect(log.recoveryPoint).toBe(4);
  });

  test('flush.ms flushes in the background once due', async () => {
    const log = await openLog({ flushMs: 1000 });
    log.append(batch(3), 0);
    await log.maybeFlush();
    expect(log.recoveryPoint).toBe(0);
    clock.advance(1000);
    await log.maybeFlush();
    expect(log.recoveryPoint).toBe(3);
  });
});

describe('read against a model', () => {
  test('every offset, byte budget and maxOffset gives exactly the expected batches', async () => {
    const log = await openLog({ segmentBytes: 3000, indexIntervalBytes: 300 });
    const model: { base: number; last: number; size: number }[] = [];
    for (let i = 0; i < 60; i++) {
      const b = batch(1 + (i % 4), `m${i}`, 5 + ((i * 37) % 90));
      const info = log.append(b, 0);
      model.push({ base: info.baseOffset, last: info.lastOffset, size: b.length });
    }
    expect(log.segmentBaseOffsets.length).toBeGreaterThan(2);
    const end = log.logEndOffset;
    for (let offset = 0; offset <= end; offset += 3) {
      for (const maxBytes of [0, 150, 700, 2500, 1 << 20]) {
        for (const maxOffset of [undefined, offset + 5, end - 7]) {
          const limit = Math.min(maxOffset ?? end, end);
          const expected: number[] = [];
          let taken = 0;
          for (const m of model) {
            if (m.last < offset || m.base >= limit) continue;
            if (expected.length > 0 && taken + m.size > maxBytes) break;
            expected.push(m.base);
            taken += m.size;
          }
          expect(baseOffsetsIn(log.read(offset, maxBytes, maxOffset))).toEqual(expected);
        }
      }
    }
  });
});

describe('the unreplicated tail (the latest leader append, until the high watermark passes it)', () => {
  test('a read at its start returns the stored bytes, from memory; every other read the segments', async () => {
    const log = await openLog({ segmentBytes: 600 });
    log.append(batch(3), 1);
    log.highWatermark = 3;
    const two = Buffer.concat([batch(2, 'a', 40), batch(1, 'b', 40)]);
    log.append(two, 1);
    const cases: [number, number, number | undefined][] = [
      [3, 1 << 20, undefined], // the follower's fetch: whole tail, from memory
      [3, 10, undefined], // budget smaller than the two batches: only the first, from the file
      [3, 1 << 20, 5], // maxOffset inside the tail (a consumer at the high watermark)
      [5, 1 << 20, undefined], // not at the tail's start
      [0, 1 << 20, undefined],
    ];
    const fromTail = cases.map(([o, b, m]) => log.read(o, b, m));
    expect(log.read(3, 1 << 20)).toBe(fromTail[0]); // the same buffer: no read
    expect(log.read(3, 10)).not.toBe(fromTail[1]);
    log.highWatermark = log.logEndOffset; // the followers have it: dropped
    expect(log.read(3, 1 << 20)).not.toBe(log.read(3, 1 << 20));
    expect(cases.map(([o, b, m]) => log.read(o, b, m))).toEqual(fromTail);
    expect(offsetsIn(fromTail[0]!)).toEqual([3, 4, 5]);
  });

  test('one batch comes whole from memory however small the budget; a newer append or truncation replaces it', async () => {
    const log = await openLog();
    log.append(batch(2, 'x', 50), 1);
    const whole = log.read(0, 1);
    expect(log.read(0, 1)).toBe(whole);
    log.append(batch(1, 'y'), 1);
    expect(log.read(0, 1 << 20)).not.toBe(log.read(0, 1 << 20)); // not the latest append any more
    expect(log.read(2, 1 << 20)).toBe(log.read(2, 1 << 20));
    log.truncateTo(2);
    log.append(batch(1, 'z'), 2);
    const after = log.read(2, 1 << 20);
    expect(decodeRecordBatch(after, 0).records[0]!.value!.toString()).toMatch(/^z-0/);
    log.truncateTo(2);
    expect(log.read(2, 1 << 20).length).toBe(0);
  });

  test('a follower append drops it', async () => {
    const leader = await openLog();
    leader.append(batch(2), 1);
    const stamped = leader.read(0, 1 << 20);
    const follower = await PartitionLog.open({ dir: path.join(dir, 't-1'), config: logConfig({}), clock });
    open.push(follower);
    follower.appendAsFollower(stamped);
    expect(follower.read(0, 1 << 20)).not.toBe(follower.read(0, 1 << 20));
  });
});
