import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LeaderEpochCache } from './leader-epoch-cache';

test('Kafka LeaderEpochFileCache semantics, persisted atomically', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'epochs-'));
  const file = path.join(dir, 'leader-epoch-checkpoint');
  const cache = new LeaderEpochCache(file);
  expect(cache.endOffsetFor(0, 10)).toEqual({ epoch: -1, endOffset: -1 });
  cache.assign(2, 0);
  cache.assign(2, 5); // same epoch, later start: no-op
  cache.assign(4, 10);
  cache.assign(6, 20);
  expect(cache.endOffsetFor(1, 30)).toEqual({ epoch: 1, endOffset: 0 });
  expect(cache.endOffsetFor(2, 30)).toEqual({ epoch: 2, endOffset: 10 });
  expect(cache.endOffsetFor(3, 30)).toEqual({ epoch: 2, endOffset: 10 });
  expect(cache.endOffsetFor(6, 30)).toEqual({ epoch: 6, endOffset: 30 });
  expect(cache.endOffsetFor(7, 30)).toEqual({ epoch: -1, endOffset: -1 });
  expect(fs.readFileSync(file, 'utf8')).toBe('0\n3\n2 0\n4 10\n6 20\n');

  cache.truncateFromEnd(20);
  expect(cache.latestEpoch).toBe(4);
  cache.truncateFromStart(12);
  expect(cache.entries).toEqual([{ epoch: 4, startOffset: 12 }]);
  cache.assign(5, 11); // contradicts the start of 4: replaces it
  expect(cache.entries).toEqual([{ epoch: 5, startOffset: 11 }]);
  expect(new LeaderEpochCache(file).entries).toEqual([{ epoch: 5, startOffset: 11 }]);
  fs.writeFileSync(file, 'not a checkpoint');
  expect(new LeaderEpochCache(file).entries).toEqual([]);
  fs.rmSync(dir, { recursive: true });
});

test('a new epoch is on file at once (without fsync); sync and later changes keep the file whole', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'epochs-'));
  const file = path.join(dir, 'leader-epoch-checkpoint');
  const cache = new LeaderEpochCache(file);
  cache.assign(1, 0);
  cache.assign(2, 5);
  expect(new LeaderEpochCache(file).entries).toEqual([
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 5 },
  ]);
  cache.sync();
  cache.sync();
  cache.truncateFromEnd(5);
  expect(new LeaderEpochCache(file).entries).toEqual([{ epoch: 1, startOffset: 0 }]);
  expect(fs.readdirSync(dir)).toEqual(['leader-epoch-checkpoint']);
  fs.rmSync(dir, { recursive: true });
});

test('the first epoch of an empty cache reaches the file at sync or with the next change', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'epochs-'));
  const file = path.join(dir, 'leader-epoch-checkpoint');
  const cache = LeaderEpochCache.empty(file);
  cache.assign(1, 0);
  expect(fs.existsSync(file)).toBe(false);
  cache.sync();
  expect(new LeaderEpochCache(file).entries).toEqual([{ epoch: 1, startOffset: 0 }]);
  const other = path.join(dir, 'other');
  const second = new LeaderEpochCache(other);
  second.assign(1, 0);
  second.assign(2, 4);
  expect(new LeaderEpochCache(other).entries).toEqual([
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 4 },
  ]);
  fs.rmSync(dir, { recursive: true });
});
