/**
 * `RecordBatchBuilder` writes the bytes `encodeRecordBatch` writes for the same records and
 * options, whatever the compression, headers, null keys and values, negative timestamp deltas,
 * producer fields and buffer growth; `withProducerState` gives a built batch new sequence numbers
 * as an encode with them would.
 */
import { TributaryError } from '@tributary/errors';
import type { BuilderOptions } from './builder';
import {
  CompressionType,
  decodeRecordBatch,
  encodeRecordBatch,
  RecordBatchBuilder,
  SUPPORTED_COMPRESSION_TYPES,
  verifyBatchCrc,
  withProducerState,
} from './index';
import { BATCH_HEADER_SIZE, type EncodeOptions, type RecordInput } from './layout';

const NOW = 1_700_000_000_000;

/** Records of every shape: null key and value, headers (a null value, a multi-byte key), timestamps before the first. */
function mixed(): RecordInput[] {
  return [
    { key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: NOW },
    { key: null, value: Buffer.from('keyless'), timestamp: NOW - 5_000 },
    { key: Buffer.from('tombstone'), value: null, timestamp: NOW + 3 },
    {
      key: Buffer.from('h'),
      value: Buffer.alloc(300, 7),
      headers: [
        { key: 'traceparent', value: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01') },
        { key: 'ключ', value: null },
        { key: '', value: Buffer.alloc(0) },
      ],
      timestamp: NOW - 2 ** 40,
    },
    { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestamp: NOW },
    { value: Buffer.from('no key field'), timestamp: NOW + 2 ** 35 },
  ];
}

/** `n` keyed 100-byte records a millisecond apart, some going back. */
function many(n: number): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.alloc(100, i),
    headers: i % 7 === 0 ? [{ key: 'i', value: Buffer.from(String(i)) }] : undefined,
    timestamp: NOW + (i % 3 === 0 ? -i : i),
  }));
}

function built(records: RecordInput[], options: EncodeOptions, sizes?: BuilderOptions): Buffer {
  const builder = new RecordBatchBuilder(sizes);
  for (const r of records) builder.append(r);
  return builder.build(options);
}

const IDEMPOTENT: EncodeOptions = { producerId: 2 ** 40 + 5, producerEpoch: 3, baseSequence: 2 ** 31 - 2 };

describe('RecordBatchBuilder', () => {
  const cases: [string, RecordInput[], BuilderOptions | undefined][] = [
    ['mixed records', mixed(), undefined],
    ['one record', [{ key: Buffer.from('k'), value: Buffer.alloc(100), timestamp: NOW }], undefined],
    ['300 records, past the capacity hint', many(300), { capacityHint: 4096 + BATCH_HEADER_SIZE }],
    ['records in a first buffer large enough', many(30), { initialCapacity: 8192 }],
    [
      'records larger than the first buffer',
      [{ value: Buffer.alloc(5000, 1), timestamp: NOW }, ...mixed()],
      { capacityHint: 1024, initialCapacity: 10 },
    ],
  ];
  for (const compression of SUPPORTED_COMPRESSION_TYPES) {
    for (const [name, records, sizes] of cases) {
      for (const [mode, producer] of [
        ['not idempotent', {}],
        ['idempotent', IDEMPOTENT],
      ] as const) {
        test(`${CompressionType[compression]}, ${name}, ${mode}: the bytes of encodeRecordBatch`, () => {
          const options = { compression, ...producer };
          const batch = built(records, options, sizes);
          expect(batch.equals(encodeRecordBatch(records, options))).toBe(true);
          expect(decodeRecordBatch(batch).records.map((r) => r.timestamp)).toEqual(
            records.map((r) => r.timestamp),
          );
        });
      }
    }
  }

  test('returns each timestamp; a record without one gets the clock', () => {
    const builder = new RecordBatchBuilder({ now: () => NOW + 1 });
    expect(builder.append({ value: null, timestamp: NOW })).toBe(NOW);
    expect(builder.append({ value: null })).toBe(NOW + 1);
    expect(builder.firstTimestamp).toBe(NOW);
    expect(builder.count).toBe(2);
  });

  test('counts its bytes: the header and the records so far', () => {
    const records = many(20);
    const builder = new RecordBatchBuilder({ initialCapacity: 100, capacityHint: 512 });
    for (const r of records) builder.append(r);
    expect(builder.sizeInBytes).toBe(encodeRecordBatch(records).length);
  });

  test('a malformed record throws as the encoder does and leaves the batch as it was', () => {
    const records = mixed();
    const builder = new RecordBatchBuilder();
    builder.append(records[0]!);
    const bad: unknown[] = [
      { value: 'a string' },
      { key: 5, value: null },
      { value: null, headers: [{ key: 1, value: null }] },
      { value: null, timestamp: 1.5 },
    ];
    for (const r of bad) {
      expect(() => builder.append(r as RecordInput)).toThrow(TributaryError);
      expect(() => encodeRecordBatch([records[0]!, r as RecordInput])).toThrow(TributaryError);
    }
    for (const r of records.slice(1)) builder.append(r);
    expect(builder.build().equals(encodeRecordBatch(records))).toBe(true);
  });

  test('accepts a timestamp only within a safe delta of the first, and nothing once built', () => {
    const builder = new RecordBatchBuilder();
    expect(builder.accepts(Number.MAX_SAFE_INTEGER)).toBe(true);
    builder.append({ value: null, timestamp: -(2 ** 52) });
    expect(builder.accepts(NOW)).toBe(true);
    expect(builder.accepts(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(() => builder.append({ value: null, timestamp: Number.MAX_SAFE_INTEGER })).toThrow(/too far/);
    builder.build();
    expect(builder.accepts(NOW)).toBe(false);
    expect(() => builder.append({ value: null, timestamp: NOW })).toThrow(/built already/);
    expect(() => builder.build()).toThrow(/built already/);
  });

  test('an empty batch and bad options are refused', () => {
    expect(() => new RecordBatchBuilder().build()).toThrow(/at least one record/);
    const builder = new RecordBatchBuilder();
    builder.append({ value: null, timestamp: NOW });
    expect(() => builder.build({ producerEpoch: 2 ** 15 })).toThrow(/producerEpoch/);
    expect(() => builder.build({ compression: 9 as CompressionType })).toThrow(/compression/);
    // Snappy is read by neither: the builder refuses it as the encoder does.
    expect(() => builder.build({ compression: CompressionType.Snappy })).toThrow(
      expect.objectContaining({ errorName: 'UNSUPPORTED_COMPRESSION_TYPE' }),
    );
  });

  test('a batch of one record does not take a batch-sized buffer', () => {
    const builder = new RecordBatchBuilder({ capacityHint: 16384 + BATCH_HEADER_SIZE });
    builder.append({ key: Buffer.from('k'), value: Buffer.alloc(100), timestamp: NOW });
    const batch = builder.build();
    // A view of the builder's buffer: the pool's slab for small buffers, or one of its own.
    expect(batch.buffer.byteLength).toBeLessThanOrEqual(Math.max(Buffer.poolSize, 512));
  });
});

describe('withProducerState', () => {
  for (const compression of SUPPORTED_COMPRESSION_TYPES) {
    test(`${CompressionType[compression]}: the bytes of an encode with the new fields; the original untouched`, () => {
      const records = mixed();
      const first = built(records, { compression, ...IDEMPOTENT });
      const before = Buffer.from(first);
      const again = withProducerState(first, 2 ** 40 + 5, 3, 17);
      expect(again.equals(encodeRecordBatch(records, { compression, ...IDEMPOTENT, baseSequence: 17 }))).toBe(
        true,
      );
      expect(first.equals(before)).toBe(true);
      const renewed = withProducerState(again, 99, 0, 0);
      expect(
        renewed.equals(
          encodeRecordBatch(records, { compression, producerId: 99, producerEpoch: 0, baseSequence: 0 }),
        ),
      ).toBe(true);
      expect(verifyBatchCrc(renewed)).toBe(true);
    });
  }

  test('refuses a damaged batch and bad fields', () => {
    const batch = built(mixed(), IDEMPOTENT);
    const damaged = Buffer.from(batch);
    damaged[BATCH_HEADER_SIZE + 3]! ^= 1;
    expect(() => withProducerState(damaged, 1, 0, 0)).toThrow(/CRC/i);
    expect(() => withProducerState(batch, 1, 0, 2 ** 31)).toThrow(/baseSequence/);
  });
});
