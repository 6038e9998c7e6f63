import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'index-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('OffsetIndex', () => {
  test('floor lookup, truncation, persistence in Kafka layout', () => {
    const file = path.join(dir, 'x.index');
    const index = new OffsetIndex(file, 100, 1024);
    expect(index.lookup(150)).toEqual({ offset: 100, position: 0 });
    for (let i = 1; i <= 50; i++) index.append(100 + i * 10, i * 1000);
    expect(index.lookup(105)).toEqual({ offset: 100, position: 0 });
    expect(index.lookup(110)).toEqual({ offset: 110, position: 1000 });
    expect(index.lookup(259)).toEqual({ offset: 250, position: 15000 });
    expect(index.lookup(10_000)).toEqual({ offset: 600, position: 50000 });
    expect(() => index.append(600, 60000)).toThrow(RangeError);
    index.flush(true);
    const data = fs.readFileSync(file);
    expect(data.length).toBe(400);
    expect([data.readInt32BE(0), data.readInt32BE(4)]).toEqual([10, 1000]);
    index.truncateToOffset(300);
    expect(index.lastEntry).toEqual({ offset: 290, position: 19000 });
    index.flush(false);
    expect(fs.statSync(file).size).toBe(19 * 8);
    index.close();
    const reloaded = new OffsetIndex(file, 100, 1024);
    expect(reloaded.load(19001)).toBe(true);
    expect(reloaded.entryCount).toBe(19);
    expect(reloaded.load(19000)).toBe(false); // an entry beyond the log: damaged
    expect(reloaded.entryCount).toBe(0);
  });

  test('is full at segment.index.bytes / 8 entries', () => {
    const index = new OffsetIndex(path.join(dir, 'y.index'), 0, 20);
    index.append(1, 10);
    index.append(2, 20);
    expect(index.isFull).toBe(true);
  });
});

describe('TimeIndex', () => {
  test('keeps only growing timestamps, looks up the last entry at or before', () => {
    const file = path.join(dir, 'x.timeindex');
    const index = new TimeIndex(file, 0, 1200);
    index.maybeAppend(1_700_000_000_000, 0);
    index.maybeAppend(1_700_000_000_000, 5); // not later: ignored
    index.maybeAppend(1_700_000_000_500, 10);
    index.maybeAppend(-1, 11); // older: ignored
    expect(index.entryCount).toBe(2);
    expect(index.lookup(1_699_999_999_999)).toBeUndefined();
    expect(index.lookup(1_700_000_000_499)).toEqual({ timestamp: 1_700_000_000_000, offset: 0 });
    expect(index.lookup(2e12)).toEqual({ timestamp: 1_700_000_000_500, offset: 10 });
    index.flush(true);
    index.close();
    const data = fs.readFileSync(file);
    expect(data.length).toBe(24);
    expect(Number(data.readBigInt64BE(12))).toBe(1_700_000_000_500);
    const reloaded = new TimeIndex(file, 0, 1200);
    expect(reloaded.load(11)).toBe(true);
    expect(reloaded.lastEntry).toEqual({ timestamp: 1_700_000_000_500, offset: 10 });
    expect(reloaded.load(10)).toBe(false);
  });
});
