import { type BatchHeader, encodeRecordBatch, readBatchHeader } from '@tributary/record-batch';
import { ProducerStateManager } from './producer-state';

const header = (producerId: number, producerEpoch: number, baseSequence: number, count = 1): BatchHeader =>
  readBatchHeader(
    encodeRecordBatch(
      Array.from({ length: count }, () => ({ value: Buffer.from('v') })),
      { producerId, producerEpoch, baseSequence },
    ),
  );

describe('ProducerStateManager', () => {
  it('accepts sequences in order and finds duplicates among the last five batches', () => {
    const s = new ProducerStateManager();
    let offset = 0;
    for (let seq = 0; seq < 30; seq += 3) {
      const h = header(7, 0, seq, 3);
      expect(s.check(h)).toEqual({});
      s.update(h, offset);
      offset += 3;
    }
    expect(s.check(header(7, 0, 27, 3))).toEqual({ duplicateOf: 27 });
    expect(s.check(header(7, 0, 15, 3))).toEqual({ duplicateOf: 15 });
    expect(() => s.check(header(7, 0, 12, 3))).toThrow(/expected sequence 30/); // older than the cache: a gap
    expect(() => s.check(header(7, 0, 31))).toThrow(
      expect.objectContaining({ errorName: 'OUT_OF_ORDER_SEQUENCE' }),
    );
  });

  it('fences older epochs and requires a new epoch to start at sequence 0', () => {
    const s = new ProducerStateManager();
    s.update(header(9, 2, 0), 0);
    expect(() => s.check(header(9, 1, 1))).toThrow(
      expect.objectContaining({ errorName: 'INVALID_PRODUCER_EPOCH' }),
    );
    expect(() => s.check(header(9, 3, 5))).toThrow(
      expect.objectContaining({ errorName: 'OUT_OF_ORDER_SEQUENCE' }),
    );
    expect(s.check(header(9, 3, 0))).toEqual({});
    expect(s.check(header(-1, -1, -1))).toEqual({});
  });

  it('round-trips through its snapshot entries and forgets producers retention deleted', () => {
    const s = new ProducerStateManager();
    s.update(header(4, 0, 0, 2), 0);
    s.update(header(4, 0, 2, 2), 2);
    s.update(header(9, 1, 0), 10);
    const copy = new ProducerStateManager();
    copy.load(s.entries());
    expect(copy.check(header(4, 0, 2, 2))).toEqual({ duplicateOf: 2 });
    expect(() => copy.check(header(9, 0, 1))).toThrow(/older than the current 1/);
    copy.removeBefore(5);
    expect(copy.size).toBe(1);
    expect(copy.check(header(4, 0, 17))).toEqual({}); // no state left: any sequence
  });
});
