/**
 * The shared RecordBatch v2 test vectors (../vectors/*.json, written by
 * scripts/gen-record-batch-vectors.mjs): this codec decodes each to the fields and records the file
 * states and re-encodes it byte for byte. clients/python and clients/go run the same checks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { CompressionType, decodeRecordBatch, encodeRecordBatch, stampBatch } from './index';
import { CONTROL_MASK, TIMESTAMP_TYPE_MASK, TRANSACTIONAL_MASK } from './layout';

interface Vector {
  name: string;
  hex: string;
  recordsHex: string;
  header: Record<string, number>;
  records: {
    offset: number;
    timestamp: number;
    key: string | null;
    value: string | null;
    headers: { key: string; value: string | null }[];
  }[];
}

const dir = join(__dirname, '..', 'vectors');
const vectors: Vector[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Vector);
const fromHex = (hex: string | null) => (hex === null ? null : Buffer.from(hex, 'hex'));
const toHex = (buf: Buffer | null) => (buf === null ? null : buf.toString('hex'));

test('the vectors cover headers, every codec the broker accepts, control and idempotent batches', () => {
  const attributes = vectors.map((v) => v.header.attributes);
  for (const codec of [
    CompressionType.None,
    CompressionType.Gzip,
    CompressionType.Lz4,
    CompressionType.Zstd,
  ]) {
    expect(attributes.some((a) => (a & 0x07) === codec)).toBe(true);
  }
  expect(attributes.some((a) => (a & CONTROL_MASK) !== 0)).toBe(true);
  expect(vectors.some((v) => v.header.producerId >= 0 && v.header.baseSequence >= 0)).toBe(true);
  expect(vectors.some((v) => v.records.some((r) => r.headers.length > 0))).toBe(true);
});

describe.each(vectors.map((v) => [v.name, v] as const))('vector %s', (_name, vector) => {
  const batch = Buffer.from(vector.hex, 'hex');

  test('decodes to the fields and records it states', () => {
    const { header, records } = decodeRecordBatch(batch);
    for (const [field, value] of Object.entries(vector.header)) {
      expect([field, header[field as keyof typeof header]]).toEqual([field, value]);
    }
    expect(
      records.map((r) => ({
        offset: r.offset,
        timestamp: r.timestamp,
        key: toHex(r.key),
        value: toHex(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: toHex(h.value) })),
      })),
    ).toEqual(vector.records);
  });

  test('re-encodes byte for byte', () => {
    const { header, records } = decodeRecordBatch(batch);
    const again = encodeRecordBatch(
      vector.records.map((r) => ({
        key: fromHex(r.key),
        value: fromHex(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: fromHex(h.value) })),
        timestamp: r.timestamp,
      })),
      {
        compression: header.compression,
        producerId: header.producerId,
        producerEpoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        isTransactional: (header.attributes & TRANSACTIONAL_MASK) !== 0,
        timestampType: header.timestampType,
        now: () => header.maxTimestamp,
      },
    );
    stampBatch(again, 0, header.baseOffset, header.partitionLeaderEpoch);
    if ((header.attributes & CONTROL_MASK) !== 0) {
      again.writeInt16BE(again.readInt16BE(21) | CONTROL_MASK, 21);
      again.writeUInt32BE(crc32c(again.subarray(21)), 17);
    }
    expect(again.toString('hex')).toBe(vector.hex);
    expect(records).toHaveLength(vector.header.recordCount);
    expect((header.attributes & TIMESTAMP_TYPE_MASK) !== 0).toBe(header.timestampType === 1);
  });

  test('its records section, uncompressed, is recordsHex', () => {
    const plain = decodeRecordBatch(batch);
    const uncompressed = encodeRecordBatch(
      plain.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
      { timestampType: plain.header.timestampType, now: () => plain.header.maxTimestamp },
    );
    expect(uncompressed.subarray(61).toString('hex')).toBe(vector.recordsHex);
  });
});
