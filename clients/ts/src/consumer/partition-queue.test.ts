import { CorruptMessageError } from '@tributary/errors';
import type { DecodedRecord } from '@tributary/record-batch';
import { PartitionQueue } from './partition-queue';
import type { SourceBatch } from './record-source';

const record = (offset: number): DecodedRecord => ({
  offset,
  timestamp: 0,
  key: null,
  value: Buffer.from(`v${offset}`),
  headers: [],
});

/** A batch whose records decode to the same array every time, as `records`, for `toBe`. */
function batch(fetchOffset: number, offsets: number[]): SourceBatch & { records: DecodedRecord[] } {
  const records = offsets.map(record);
  return {
    topic: 't',
    partition: 0,
    fetchOffset,
    nextOffset: offsets.at(-1)! + 1,
    highWatermark: 100,
    records,
    decode: () => records,
    leaderEpoch: 3,
    bytes: 10 * offsets.length,
  };
}

describe('PartitionQueue.take', () => {
  it('hands a whole batch on as it is and releases it', () => {
    const q = new PartitionQueue('t', 0, 0, 0);
    const b = batch(0, [0, 1, 2]);
    expect(q.accept(b)).toBe(true);
    const released: SourceBatch[] = [];
    const taken = q.take(Number.MAX_SAFE_INTEGER, (x) => released.push(x));
    expect(taken).toBe(b.records);
    expect(q.position).toBe(3);
    expect(q.leaderEpoch).toBe(3);
    expect(released).toEqual([b]);
    expect(q.hasRecords()).toBe(false);
  });

  it('skips records below the position and takes at most `max`', () => {
    const q = new PartitionQueue('t', 0, 2, 0);
    const b = batch(2, [0, 1, 2, 3, 4]);
    q.accept(b);
    const released: SourceBatch[] = [];
    expect(q.take(2, (x) => released.push(x)).map((r) => r.offset)).toEqual([2, 3]);
    expect(released).toEqual([]);
    expect(q.take(10, (x) => released.push(x)).map((r) => r.offset)).toEqual([4]);
    expect(q.position).toBe(5);
    expect(released).toEqual([b]);
  });

  it('takes the next batch whole once the first is done', () => {
    const q = new PartitionQueue('t', 0, 0, 0);
    const first = batch(0, [0, 1]);
    const second = batch(2, [2, 3]);
    q.accept(first);
    q.accept(second);
    const noop = () => {};
    expect(q.take(1, noop).map((r) => r.offset)).toEqual([0]);
    expect(q.take(10, noop).map((r) => r.offset)).toEqual([1]);
    expect(q.take(10, noop)).toBe(second.records);
    expect(q.position).toBe(4);
  });

  it('decodes a batch only when its records are taken, and keeps the position at one that does not decode', () => {
    const q = new PartitionQueue('t', 0, 0, 0);
    let decoded = 0;
    const damaged: SourceBatch = {
      ...batch(0, [0, 1]),
      decode: () => {
        decoded++;
        throw new CorruptMessageError('Batch at position 0: CRC mismatch.');
      },
    };
    q.accept(damaged);
    q.accept(batch(2, [2, 3]));
    expect(q.hasRecords()).toBe(true);
    expect(decoded).toBe(0);
    const released: SourceBatch[] = [];
    expect(() => q.take(10, (x) => released.push(x))).toThrow(CorruptMessageError);
    expect(released).toEqual([]);
    expect(q.position).toBe(0);
    expect(decoded).toBe(1);
  });

  it('drops a batch a seek moved past without decoding it', () => {
    const q = new PartitionQueue('t', 0, 0, 0);
    const first = batch(0, [0, 1]);
    first.decode = () => {
      throw new Error('decoded a stale batch');
    };
    q.accept(first);
    q.accept(batch(2, [2, 3]));
    q.position = 2;
    const released: SourceBatch[] = [];
    expect(q.take(10, (x) => released.push(x)).map((r) => r.offset)).toEqual([2, 3]);
    expect(released[0]).toBe(first);
  });

  describe('with a fill (one handler call for several one-record batches)', () => {
    const offsets = (records: DecodedRecord[]) => records.map((r) => r.offset);

    it('takes the whole batches that follow until `fill` records are out, in offset order', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      const batches = [0, 1, 2, 3, 4, 5].map((o) => batch(o, [o]));
      for (const b of batches) q.accept(b);
      const released: SourceBatch[] = [];
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, (x) => released.push(x), 4))).toEqual([0, 1, 2, 3]);
      expect(released).toEqual(batches.slice(0, 4));
      expect(q.position).toBe(4);
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, (x) => released.push(x), 4))).toEqual([4, 5]);
      expect(released).toEqual(batches);
      expect(q.position).toBe(6);
      expect(q.hasRecords()).toBe(false);
    });

    it('takes a following batch whole even past the fill, never a part of it', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      q.accept(batch(0, [0]));
      q.accept(batch(1, [1, 2, 3]));
      q.accept(batch(4, [4]));
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, () => {}, 2))).toEqual([0, 1, 2, 3]);
      expect(q.position).toBe(4);
    });

    it('respects `max` over the fill, and the default takes one batch', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      for (const o of [0, 1, 2, 3]) q.accept(batch(o, [o]));
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, () => {}))).toEqual([0]);
      expect(offsets(q.take(2, () => {}, 500))).toEqual([1, 2]);
      expect(q.position).toBe(3);
    });

    it('stops at a batch of another leader epoch, which the next take starts with', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      q.accept(batch(0, [0]));
      q.accept({ ...batch(1, [1]), leaderEpoch: 4 });
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, () => {}, 500))).toEqual([0]);
      expect(q.leaderEpoch).toBe(3);
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, () => {}, 500))).toEqual([1]);
      expect(q.leaderEpoch).toBe(4);
    });

    it('hands out the records before a batch that does not decode, which the next take throws at', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      q.accept(batch(0, [0]));
      q.accept(batch(1, [1]));
      const damaged: SourceBatch = {
        ...batch(2, [2]),
        decode: () => {
          throw new CorruptMessageError('Batch at position 0: CRC mismatch.');
        },
      };
      q.accept(damaged);
      q.accept(batch(3, [3]));
      const released: SourceBatch[] = [];
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, (x) => released.push(x), 500))).toEqual([0, 1]);
      expect(q.position).toBe(2);
      expect(released).toHaveLength(2);
      expect(() => q.take(Number.MAX_SAFE_INTEGER, () => {}, 500)).toThrow(CorruptMessageError);
      expect(q.position).toBe(2);
    });

    it('does not change the arrays its batches decode to', () => {
      const q = new PartitionQueue('t', 0, 0, 0);
      const first = batch(0, [0]);
      q.accept(first);
      q.accept(batch(1, [1]));
      expect(offsets(q.take(Number.MAX_SAFE_INTEGER, () => {}, 500))).toEqual([0, 1]);
      expect(offsets(first.records)).toEqual([0]);
    });
  });
});
