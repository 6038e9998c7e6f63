import {
  encodeRecordBatch,
  HEADER_PEEK_SIZE,
  peekBaseOffset,
  peekBatchSize,
  peekLastOffset,
  peekMaxTimestamp,
  readBatchHeader,
  stampBatch,
  validateBatch,
} from './index';

describe('header peeks', () => {
  test('read what readBatchHeader reads, at any position in a buffer', () => {
    const batch = encodeRecordBatch(
      [
        { value: Buffer.from('x'), timestamp: 1_700_000_000_123 },
        { value: Buffer.from('y'), timestamp: 1_700_000_000_456 },
      ],
      { baseOffset: 2 ** 40 + 3 },
    );
    const buf = Buffer.concat([Buffer.alloc(5), batch]);
    const header = readBatchHeader(buf, 5);
    expect(peekBaseOffset(buf, 5)).toBe(header.baseOffset);
    expect(peekBatchSize(buf, 5)).toBe(batch.length);
    expect(peekLastOffset(buf, 5)).toBe(header.baseOffset + header.lastOffsetDelta);
    expect(peekMaxTimestamp(buf, 5)).toBe(1_700_000_000_456);
    expect(HEADER_PEEK_SIZE).toBe(43);
  });

  test('stampBatch given the validated header writes what it writes without one', () => {
    const a = encodeRecordBatch([{ value: Buffer.from('v') }]);
    const b = Buffer.from(a);
    stampBatch(a, 0, 1234, 7);
    stampBatch(b, 0, 1234, 7, validateBatch(b, 0));
    expect(b.equals(a)).toBe(true);
    expect(peekBaseOffset(b, 0)).toBe(1234);
  });
});
