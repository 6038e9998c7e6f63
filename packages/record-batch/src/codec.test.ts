import { TributaryError } from '@tributary/errors';
import fc from 'fast-check';
import {
  BATCH_HEADER_SIZE,
  batchesIn,
  batchSizeAt,
  CompressionType,
  decodeRecordBatch,
  type EncodeOptions,
  encodeRecordBatch,
  LOG_OVERHEAD,
  type RecordInput,
  readBatchHeader,
  SUPPORTED_COMPRESSION_TYPES,
  TimestampType,
  validateBatch,
  verifyBatchCrc,
} from './index';

const NOW = 1_700_000_000_000;
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const nullableBytes = (maxLength: number) => fc.option(bytes(maxLength), { nil: null, freq: 4 });

const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.oneof(nullableBytes(40), fc.constant(undefined)),
    value: nullableBytes(300),
    headers: fc.array(
      fc.record({
        key: fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 12 }),
          fc.string({ unit: 'binary-ascii', maxLength: 8 }),
        ),
        value: nullableBytes(30),
      }),
      { maxLength: 4 },
    ),
    timestamp: fc.oneof(
      fc.integer({ min: -(2 ** 50), max: 2 ** 50 }),
      fc.integer({ min: NOW - 10_000, max: NOW + 10_000 }),
    ),
  },
  { requiredKeys: ['value'] },
);

const optionsArb: fc.Arbitrary<EncodeOptions> = fc.record(
  {
    compression: fc.constantFrom(...SUPPORTED_COMPRESSION_TYPES),
    baseOffset: fc.oneof(fc.nat(1000), fc.integer({ min: 0, max: 2 ** 52 })),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 52 })),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    isTransactional: fc.boolean(),
    timestampType: fc.constantFrom(TimestampType.CreateTime, TimestampType.LogAppendTime),
  },
  { requiredKeys: [] },
);

function expectRoundTrip(records: RecordInput[], options: EncodeOptions, batch: Buffer, position = 0): void {
  const { header, records: decoded } = decodeRecordBatch(batch, position);
  const logAppendTime = options.timestampType === TimestampType.LogAppendTime;
  const timestamps = records.map((r) => (logAppendTime ? NOW : (r.timestamp ?? NOW)));
  expect(header).toEqual({
    baseOffset: options.baseOffset ?? 0,
    batchLength: batchSizeAt(batch, position) - LOG_OVERHEAD,
    partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
    magic: 2,
    crc: batch.readUInt32BE(position + 17),
    attributes: expect.any(Number),
    compression: options.compression ?? CompressionType.None,
    timestampType: options.timestampType ?? TimestampType.CreateTime,
    isTransactional: options.isTransactional ?? false,
    isControl: false,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: timestamps[0],
    maxTimestamp: Math.max(...timestamps),
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    recordCount: records.length,
  });
  expect(decoded).toHaveLength(records.length);
  decoded.forEach((d, i) => {
    const r = records[i]!;
    expect(d.offset).toBe(header.baseOffset + i);
    expect(d.timestamp).toBe(logAppendTime ? header.maxTimestamp : timestamps[i]);
    expect(d.key).toEqual(r.key ?? null);
    expect(d.value).toEqual(r.value);
    expect(d.headers).toEqual(r.headers ?? []);
  });
  expect(readBatchHeader(batch, position)).toEqual(header);
  expect(validateBatch(batch, position)).toEqual(header);
  expect(verifyBatchCrc(batch, position)).toBe(true);
}

describe('encodeRecordBatch -> decodeRecordBatch', () => {
  test('round-trips random records, field for field, under every supported codec', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 25 }), optionsArb, (records, options) => {
        const batch = encodeRecordBatch(records, { ...options, now: () => NOW });
        expectRoundTrip(records, options, batch);
      }),
      { numRuns: 400 },
    );
  });

  test.each(SUPPORTED_COMPRESSION_TYPES.map((c) => [CompressionType[c], c]))(
    '%s: a 16 KiB batch of 100-byte records',
    (_name, compression) => {
      const records = Array.from({ length: 150 }, (_, i) => ({
        key: Buffer.from(`key-${i}`),
        value: Buffer.alloc(100, i),
        headers: [{ key: 'trace-id', value: Buffer.from(String(i)) }],
        timestamp: NOW + i,
      }));
      const batch = encodeRecordBatch(records, { compression, now: () => NOW });
      if (compression !== CompressionType.None) {
        expect(batch.length).toBeLessThan(encodeRecordBatch(records).length);
      }
      expectRoundTrip(records, { compression }, batch);
    },
  );

  test('defaults: offset 0, epoch -1, no producer, CreateTime from now(), called once', () => {
    const now = jest.fn(() => NOW);
    const batch = encodeRecordBatch([{ value: Buffer.from('a') }, { value: null, timestamp: NOW - 5 }], {
      now,
    });
    expect(now).toHaveBeenCalledTimes(1);
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toMatchObject({
      baseOffset: 0,
      partitionLeaderEpoch: -1,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      attributes: 0,
      firstTimestamp: NOW,
      maxTimestamp: NOW,
    });
    expect(records.map((r) => r.timestamp)).toEqual([NOW, NOW - 5]);
    expect(records[1]!.value).toBeNull();
    expect(batch.length).toBe(BATCH_HEADER_SIZE + 8 + 7); // 'a' takes 8 bytes, the null value 7
  });

  test('decoded keys and values are views of the input (zero-copy)', () => {
    const batch = encodeRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('value') }]);
    const { records } = decodeRecordBatch(batch);
    expect(records[0]!.value!.buffer).toBe(batch.buffer);
    batch[batch.length - 2] = 0x41; // the 'e' of "value" (the last byte is the header count)
    expect(records[0]!.value!.toString()).toBe('valuA');
  });

  test('with an origin each record carries topic, partition and leader epoch; without, it does not', () => {
    const batch = encodeRecordBatch([{ value: Buffer.from('a') }, { value: null }], { baseOffset: 3 });
    const plain = decodeRecordBatch(batch).records;
    expect(Object.keys(plain[0]!)).toEqual(['offset', 'timestamp', 'key', 'value', 'headers']);
    const withOrigin = decodeRecordBatch(batch, 0, { topic: 't', partition: 4, leaderEpoch: 9 }).records;
    expect(withOrigin.map((r) => ({ ...r }))).toEqual(
      plain.map((r) => ({ topic: 't', partition: 4, ...r, leaderEpoch: 9 })),
    );
    // Records without headers share one frozen empty array.
    expect(plain[0]!.headers).toBe(plain[1]!.headers);
    expect(Object.isFrozen(plain[0]!.headers)).toBe(true);
  });

  test('rejects an empty batch, bad records and bad options with TributaryError', () => {
    expect(() => encodeRecordBatch([])).toThrow(TributaryError);
    const bad = [
      () => encodeRecordBatch([{ value: 'x' as unknown as Buffer }]),
      () => encodeRecordBatch([{ value: null, timestamp: 1.5 }]),
      () => encodeRecordBatch([{ value: null, headers: [{ key: 1 as unknown as string, value: null }] }]),
      () => encodeRecordBatch([{ value: null }], { baseOffset: -1 }),
      () => encodeRecordBatch([{ value: null }], { producerEpoch: 40000 }),
      () => encodeRecordBatch([{ value: null }], { compression: 9 as CompressionType }),
    ];
    for (const encode of bad) expect(encode).toThrow(TributaryError);
    expect(() => encodeRecordBatch([{ value: null }], { compression: CompressionType.Snappy })).toThrow(
      expect.objectContaining({ errorName: 'UNSUPPORTED_COMPRESSION_TYPE' }),
    );
  });
});

describe('batchesIn', () => {
  test('walks concatenated batches at their positions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(recordArb, { minLength: 1, maxLength: 5 }), optionsArb), {
          minLength: 0,
          maxLength: 6,
        }),
        (specs) => {
          const batches = specs.map(([records, options]) =>
            encodeRecordBatch(records, { ...options, now: () => NOW }),
          );
          const all = Buffer.concat(batches);
          const walked = [...batchesIn(all)];
          expect(walked.map((b) => b.size)).toEqual(batches.map((b) => b.length));
          let position = 0;
          walked.forEach((entry, i) => {
            expect(entry.position).toBe(position);
            expect(entry.header).toEqual(readBatchHeader(batches[i]!));
            expectRoundTrip(specs[i]![0], specs[i]![1], all, position);
            position += entry.size;
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  test('a partial last batch throws, or ends the walk with allowPartialTail', () => {
    const one = encodeRecordBatch([{ value: Buffer.from('x') }]);
    const two = Buffer.concat([one, one]);
    for (const cut of [1, 11, 12, 60, one.length - 1]) {
      const partial = two.subarray(0, one.length + cut);
      expect(() => [...batchesIn(partial)]).toThrow(/Partial batch at position/);
      expect([...batchesIn(partial, { allowPartialTail: true })].map((b) => b.position)).toEqual([0]);
    }
    expect([...batchesIn(Buffer.alloc(0))]).toEqual([]);
  });
});
