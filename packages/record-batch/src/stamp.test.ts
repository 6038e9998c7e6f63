import { CorruptMessageError, TributaryError } from '@tributary/errors';
import {
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
  readBatchHeader,
  stampBatch,
  stampLogAppendTime,
  TimestampType,
  validateBatch,
  verifyBatchCrc,
} from './index';

const NOW = 1_700_000_000_000;

function produced(compression = CompressionType.None): Buffer {
  return encodeRecordBatch(
    [
      { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: NOW - 10 },
      { key: Buffer.from('b'), value: Buffer.from('2'), timestamp: NOW + 10 },
      { key: Buffer.from('c'), value: Buffer.from('3'), timestamp: NOW },
    ],
    { compression, producerId: 7, producerEpoch: 1, baseSequence: 100 },
  );
}

describe('stampBatch', () => {
  test('writes baseOffset and leader epoch in place; the CRC stays valid', () => {
    const batch = produced();
    const crc = readBatchHeader(batch).crc;
    stampBatch(batch, 0, 2 ** 40 + 3, 12);
    expect(verifyBatchCrc(batch)).toBe(true);
    expect(validateBatch(batch)).toMatchObject({ baseOffset: 2 ** 40 + 3, partitionLeaderEpoch: 12, crc });
    expect(decodeRecordBatch(batch).records.map((r) => r.offset)).toEqual(
      [0, 1, 2].map((i) => 2 ** 40 + 3 + i),
    );
  });

  test('stamps a batch in the middle of a buffer and leaves its neighbours alone', () => {
    const [a, b, c] = [produced(), produced(CompressionType.Zstd), produced()];
    const all = Buffer.concat([a, b, c]);
    stampBatch(all, a.length, 500, 3);
    expect(all.subarray(0, a.length)).toEqual(a);
    expect(all.subarray(a.length + b.length)).toEqual(c);
    expect(decodeRecordBatch(all, a.length).header).toMatchObject({
      baseOffset: 500,
      partitionLeaderEpoch: 3,
    });
  });

  test('refuses bad arguments and a position that is not a batch', () => {
    const batch = produced();
    const before = Buffer.from(batch);
    expect(() => stampBatch(batch, 0, -1, 0)).toThrow(TributaryError);
    expect(() => stampBatch(batch, 0, 2 ** 53, 0)).toThrow(TributaryError);
    expect(() => stampBatch(batch, 0, Number.MAX_SAFE_INTEGER - 1, 0)).toThrow(TributaryError); // last offset unsafe
    expect(() => stampBatch(batch, 0, 0, 2 ** 31)).toThrow(TributaryError);
    expect(() => stampBatch(batch, 1, 0, 0)).toThrow(CorruptMessageError);
    expect(batch).toEqual(before);
  });
});

describe('stampLogAppendTime', () => {
  test.each([
    ['none', CompressionType.None],
    ['gzip', CompressionType.Gzip],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ])('%s: sets the type bit and maxTimestamp, recomputes the CRC', (_name, compression) => {
    const batch = produced(compression);
    const before = readBatchHeader(batch);
    stampLogAppendTime(batch, 0, NOW + 5000);
    expect(verifyBatchCrc(batch)).toBe(true);
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toEqual({
      ...before,
      crc: header.crc,
      attributes: before.attributes | 0x08,
      timestampType: TimestampType.LogAppendTime,
      maxTimestamp: NOW + 5000,
    });
    expect(header.crc).not.toBe(before.crc);
    expect(header.firstTimestamp).toBe(NOW - 10); // untouched, as Kafka leaves it
    expect(records.map((r) => r.timestamp)).toEqual([NOW + 5000, NOW + 5000, NOW + 5000]);
  });

  test('does not launder a damaged batch into one with a valid CRC', () => {
    const batch = produced();
    batch[batch.length - 3] ^= 1;
    const before = Buffer.from(batch);
    expect(() => stampLogAppendTime(batch, 0, NOW)).toThrow(/CRC mismatch/);
    expect(batch).toEqual(before);
    expect(() => stampLogAppendTime(produced(), 0, 1.5)).toThrow(TributaryError);
  });
});
