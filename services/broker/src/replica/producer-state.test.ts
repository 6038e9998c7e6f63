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

  it('rebuilds from the stamped batches of a log', () => {
    const batches = [header(4, 0, 0, 2), header(4, 0, 2, 2)];
    const bytes = Buffer.concat(
      [0, 2].map((base, i) =>
        encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }], {
          producerId: 4,
          producerEpoch: 0,
          baseSequence: batches[i]!.baseSequence,
          baseOffset: base,
        }),
      ),
    );
    const s = new ProducerStateManager();
    s.rebuild({ logStartOffset: 0, logEndOffset: 4, read: (o) => (o === 0 ? bytes : Buffer.alloc(0)) });
    expect(s.check(header(4, 0, 2, 2))).toEqual({ duplicateOf: 2 });
    expect(s.check(header(4, 0, 4))).toEqual({});
  });
});
