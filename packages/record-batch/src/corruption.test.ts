import { crc32c } from '@node-rs/crc32';
import { CorruptMessageError, TributaryError } from '@tributary/errors';
import fc from 'fast-check';
import {
  batchesIn,
  batchSizeAt,
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
  readBatchHeader,
  validateBatch,
  verifyBatchCrc,
} from './index';
import { writeVarint } from './varint';

const NOW = 1_700_000_000_000;

function sample(compression = CompressionType.None): Buffer {
  return encodeRecordBatch(
    [
      {
        key: Buffer.from('k0'),
        value: Buffer.from('value-0'),
        headers: [{ key: 'h', value: Buffer.from('x') }],
      },
      { key: null, value: Buffer.alloc(0), headers: [{ key: 'ключ', value: null }] },
      { key: Buffer.from('k2'), value: null, timestamp: NOW - 1 },
    ],
    { compression, baseOffset: 40, now: () => NOW },
  );
}

/** Recomputes the CRC, as a buggy but CRC-correct encoder would leave it. */
function recrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/**
 * Builds an uncompressed batch around hand-written record bytes, with a correct CRC:
 * `recordCount` as given, lastOffsetDelta recordCount-1.
 */
function withRecords(records: Buffer, recordCount: number): Buffer {
  const batch = Buffer.concat([
    encodeRecordBatch([{ value: null }], { now: () => NOW }).subarray(0, 61),
    records,
  ]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(recordCount - 1, 23);
  batch.writeInt32BE(recordCount, 57);
  return recrc(batch);
}

/** One record's bytes: length varint then body. */
function record(...body: number[]): Buffer {
  const out = Buffer.alloc(5 + body.length);
  const end = writeVarint(out, 0, body.length);
  out.set(body, end);
  return out.subarray(0, end + body.length);
}

// attributes 0, timestampDelta 0, offsetDelta 0, key null, value "A", no headers
const GOOD = [0, 0, 0, 1, 2, 0x41, 0];

function expectCorrupt(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CorruptMessageError);
  if (message) expect((thrown as Error).message).toMatch(message);
}

describe('corruption is always a CorruptMessageError, never garbage', () => {
  test('the hand-made reference batch is itself fine', () => {
    expect(decodeRecordBatch(withRecords(record(...GOOD), 1)).records[0]!.value).toEqual(Buffer.from('A'));
  });

  test.each([
    ['none', CompressionType.None],
    ['gzip', CompressionType.Gzip],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ])('%s: truncated at every length', (_name, compression) => {
    const batch = sample(compression);
    for (let cut = 0; cut < batch.length; cut++) {
      const part = Buffer.from(batch.subarray(0, cut));
      expectCorrupt(() => decodeRecordBatch(part));
      expectCorrupt(() => validateBatch(part));
      expect(verifyBatchCrc(part)).toBe(false);
      if (cut < 61) expectCorrupt(() => readBatchHeader(part));
      if (cut < 12) expect(batchSizeAt(part, 0)).toBe(-1);
      else expect(batchSizeAt(part, 0)).toBe(batch.length);
      if (cut > 0) expectCorrupt(() => [...batchesIn(part)]);
    }
  });

  test.each([
    ['none', CompressionType.None],
    ['gzip', CompressionType.Gzip],
    ['zstd', CompressionType.Zstd],
  ])('%s: any flipped byte the CRC covers fails the CRC', (_name, compression) => {
    const batch = sample(compression);
    for (let i = 17; i < batch.length; i++) {
      const damaged = Buffer.from(batch);
      damaged[i]! ^= 0x10;
      expect(verifyBatchCrc(damaged)).toBe(false);
      expectCorrupt(() => decodeRecordBatch(damaged), /CRC mismatch/);
      expectCorrupt(() => validateBatch(damaged), /CRC mismatch/);
    }
  });

  test('wrong magic', () => {
    for (const magic of [0, 1, 3, 0xff]) {
      const batch = sample();
      batch[16] = magic;
      expectCorrupt(() => readBatchHeader(batch), /magic/);
      expectCorrupt(() => decodeRecordBatch(batch), /magic/);
      expectCorrupt(() => validateBatch(batch), /magic/);
      expectCorrupt(() => [...batchesIn(batch)], /magic/);
    }
  });

  test('batchLength lying: too big, too small, below a header', () => {
    const batch = sample();
    const length = batch.readInt32BE(8);
    const tooBig = Buffer.from(batch);
    tooBig.writeInt32BE(length + 1, 8);
    expectCorrupt(() => decodeRecordBatch(tooBig), /only \d+ are present/);
    expectCorrupt(() => validateBatch(tooBig), /only \d+ are present/);
    // Too big but with bytes behind it (the next batch): the CRC then covers the wrong range.
    const followed = Buffer.concat([tooBig, sample()]);
    expectCorrupt(() => decodeRecordBatch(followed), /CRC mismatch/);
    expectCorrupt(() => [...batchesIn(followed)]);
    const tooSmall = Buffer.from(batch);
    tooSmall.writeInt32BE(length - 1, 8);
    expectCorrupt(() => decodeRecordBatch(tooSmall), /CRC mismatch/);
    expectCorrupt(() => validateBatch(tooSmall), /CRC mismatch/);
    for (const silly of [48, 0, -1, -0x80000000]) {
      const bad = Buffer.from(batch);
      bad.writeInt32BE(silly, 8);
      expectCorrupt(() => batchSizeAt(bad, 0), /below the minimum/);
      expectCorrupt(() => decodeRecordBatch(bad), /below the minimum/);
      expectCorrupt(() => [...batchesIn(bad)], /below the minimum/);
      expect(() => verifyBatchCrc(bad)).toThrow(CorruptMessageError);
    }
  });

  test('bad varints and lengths inside records, with a correct CRC', () => {
    const cases: [string, Buffer, number, RegExp][] = [
      [
        'an over-long varint',
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, ...GOOD]),
        1,
        /longer than 32 bits/,
      ],
      ['a varlong cut by the record end', record(0, 0x80, 0x80, 0x80, 0x80, 0x80), 1, /Truncated varlong/],
      [
        'an over-long varlong',
        record(0, ...Array(10).fill(0xff), 0x01, 0, 1, 2, 0x41, 0),
        1,
        /longer than 10 bytes/,
      ],
      ['a key length of -5', record(0, 0, 0, 9, 2, 0x41, 0), 1, /key length -5/],
      ['a key longer than the record', record(0, 0, 0, 40, 2, 0x41, 0), 1, /key length 20/],
      ['a record longer than the batch', Buffer.from([0x7e, ...GOOD]), 1, /record 0 has length 63/],
      ['a record length too short for its fields', Buffer.from([10, ...GOOD]), 1, /length 5/],
      ['fields running past the record length', Buffer.from([12, ...GOOD, 0]), 1, /Truncated varint/],
      ['fields shorter than the record length', record(...GOOD, 0), 1, /says 8 bytes but its fields take 7/],
      ['a negative header count', record(0, 0, 0, 1, 2, 0x41, 1), 1, /header count -1/],
      ['a null header key', record(0, 0, 0, 1, 2, 0x41, 2, 1, 1), 1, /header 0 has key length -1/],
      [
        'more records than recordCount',
        Buffer.concat([record(...GOOD), record(0, 0, 2, 1, 2, 0x41, 0)]),
        1,
        /follow/,
      ],
      ['fewer records than recordCount', record(...GOOD), 2, /cannot fit|Truncated varint/],
      [
        'offset deltas out of order',
        Buffer.concat([record(0, 0, 2, 1, 0, 0), record(0, 0, 0, 1, 0, 0)]),
        2,
        /offsetDelta 0/,
      ],
      ['an offset delta past lastOffsetDelta', record(0, 0, 2, 1, 2, 0x41, 0), 1, /offsetDelta 1/],
    ];
    for (const [what, bytes, count, message] of cases) {
      const batch = withRecords(bytes, count);
      expect(verifyBatchCrc(batch)).toBe(true);
      try {
        decodeRecordBatch(batch);
        throw new Error(`decoded despite ${what}`);
      } catch (err) {
        expect([what, err]).toEqual([what, expect.any(CorruptMessageError)]);
        expect([what, (err as Error).message]).toEqual([what, expect.stringMatching(message)]);
      }
    }
  });

  test('header fields that cannot be right, with a correct CRC', () => {
    const unknownCodec = sample();
    unknownCodec.writeInt16BE(5, 21);
    expectCorrupt(() => decodeRecordBatch(recrc(unknownCodec)), /unknown compression id 5/);
    const unsafeOffset = sample();
    unsafeOffset.writeBigInt64BE(2n ** 53n, 0);
    expectCorrupt(() => readBatchHeader(unsafeOffset), /baseOffset 0x0020000000000000 is not a safe integer/);
    const negativeCount = sample();
    negativeCount.writeInt32BE(-1, 57);
    expectCorrupt(() => decodeRecordBatch(recrc(negativeCount)), /negative recordCount/);
    const hugeCount = sample();
    hugeCount.writeInt32BE(0x7fffffff, 57);
    expectCorrupt(() => decodeRecordBatch(recrc(hugeCount)), /cannot fit/);
    const garbledGzip = sample(CompressionType.Gzip);
    garbledGzip[61 + 20]! ^= 0xff;
    expectCorrupt(
      () => decodeRecordBatch(recrc(garbledGzip)),
      /gzip records of the batch do not decompress/i,
    );
    const garbledZstd = sample(CompressionType.Zstd);
    garbledZstd.fill(0x55, 61 + 4);
    expectCorrupt(() => decodeRecordBatch(recrc(garbledZstd)), /do not decompress/);
    const garbledLz4 = sample(CompressionType.Lz4);
    garbledLz4.fill(0x55, 61 + 7);
    expectCorrupt(() => decodeRecordBatch(recrc(garbledLz4)), /do not decompress/);
  });

  test('validateBatch: the broker checks that need no record decode', () => {
    const empty = withRecords(Buffer.alloc(0), 0);
    expect(decodeRecordBatch(empty).records).toEqual([]); // legal on disk (compaction)...
    expectCorrupt(() => validateBatch(empty), /no records/); // ...but not from a producer
    const delta = sample();
    delta.writeInt32BE(5, 23);
    expectCorrupt(() => validateBatch(recrc(delta)), /lastOffsetDelta 5 does not match recordCount 3/);
    const crowded = sample();
    crowded.writeInt32BE(1000, 57);
    crowded.writeInt32BE(999, 23);
    expectCorrupt(() => validateBatch(recrc(crowded)), /cannot fit/);
  });

  test.each([
    ['none', CompressionType.None],
    ['gzip', CompressionType.Gzip],
    ['lz4', CompressionType.Lz4],
    ['zstd', CompressionType.Zstd],
  ])('%s: random damage behind a recomputed CRC throws only TributaryErrors', (_name, compression) => {
    const batch = sample(compression);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 21, max: batch.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (edits) => {
          const damaged = Buffer.from(batch);
          for (const [at, value] of edits) damaged[at] = value;
          try {
            const { records } = decodeRecordBatch(recrc(damaged));
            for (const r of records)
              expect(Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.timestamp)).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(TributaryError);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
