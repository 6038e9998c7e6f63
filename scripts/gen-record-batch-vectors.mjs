#!/usr/bin/env node
// Writes the shared RecordBatch v2 test vectors, packages/record-batch/vectors/*.json, with the
// TypeScript codec (run `npm run build` first). The TypeScript, Python and Go codecs each decode
// every vector and re-encode it byte for byte (docs/record-batch.md, "Test vectors").
//   node scripts/gen-record-batch-vectors.mjs           rewrite the files
//   node scripts/gen-record-batch-vectors.mjs --check   fail if a file is missing or stale
// A vector is data, so the files are committed; `--check` (in `npm run lint`) keeps them current.
// Compressed payloads depend on the compressor's version, so `--check` compares them by what they
// decode to, and everything else (header, CRC-covered fields, uncompressed records) byte for byte.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import recordBatch from '../packages/record-batch/dist/index.js';

const { CompressionType, TimestampType, decodeRecordBatch, encodeRecordBatch, stampBatch } = recordBatch;
const dir = resolve(import.meta.dirname, '../packages/record-batch/vectors');
const check = process.argv.includes('--check');

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const b = (text) => Buffer.from(text, 'utf8');

// Keys, a null key, a tombstone (null value), an empty value, headers (one with a null value, one
// repeated key), a timestamp before the first record's (a negative timestampDelta), non-ASCII.
const RECORDS = [
  { key: b('order-1'), value: b('{"qty":1}'), timestamp: T0, headers: [{ key: 'trace', value: b('00-ab') }] },
  { key: null, value: b('keyless'), timestamp: T0 + 1500 },
  { key: b('order-2'), value: null, timestamp: T0 - 250, headers: [{ key: 'deleted', value: null }] },
  {
    key: b('ключ'),
    value: Buffer.alloc(0),
    timestamp: T0 + 70_000,
    headers: [
      { key: 'h', value: b('1') },
      { key: 'h', value: b('2') },
    ],
  },
];

/** Kafka's control record: key = version int16 0 + type int16 (0 abort, 1 commit); value = version int16 0 + coordinatorEpoch int32. */
function controlBatch() {
  const key = Buffer.from([0, 0, 0, 1]);
  const value = Buffer.from([0, 0, 0, 0, 0, 5]);
  const batch = encodeRecordBatch([{ key, value, timestamp: T0 + 9000 }], {
    producerId: 4001,
    producerEpoch: 2,
    baseSequence: -1,
    isTransactional: true,
    baseOffset: 17,
    partitionLeaderEpoch: 3,
  });
  // Set the control bit (5) and recompute the CRC (over attributes .. end).
  batch.writeInt16BE(batch.readInt16BE(21) | 0x20, 21);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

const VECTORS = [
  {
    name: 'uncompressed-headers',
    description:
      'Uncompressed, CreateTime, not idempotent: keys, a null key, a tombstone, an empty value, headers (a null header value, a repeated header key), a negative timestampDelta, UTF-8 keys.',
    make: () => encodeRecordBatch(RECORDS, {}),
  },
  {
    name: 'gzip',
    description: 'The same records, gzip (attributes 1): one gzip member, level 6.',
    make: () => encodeRecordBatch(RECORDS, { compression: CompressionType.Gzip }),
  },
  {
    name: 'lz4',
    description:
      'The same records, lz4 (attributes 3): one LZ4 frame (magic 04 22 4D 18), as Kafka writes for magic 2.',
    make: () => encodeRecordBatch(RECORDS, { compression: CompressionType.Lz4 }),
  },
  {
    name: 'zstd',
    description: 'The same records, zstd (attributes 4): one zstd frame.',
    make: () => encodeRecordBatch(RECORDS, { compression: CompressionType.Zstd }),
  },
  {
    name: 'idempotent-stamped',
    description:
      'An idempotent batch (producerId 1234, producerEpoch 3, baseSequence 42) as stored: base offset 100 and partition leader epoch 7 stamped by the broker (outside the CRC).',
    make: () => {
      const batch = encodeRecordBatch(RECORDS.slice(0, 2), {
        producerId: 1234,
        producerEpoch: 3,
        baseSequence: 42,
      });
      stampBatch(batch, 0, 100, 7);
      return batch;
    },
  },
  {
    name: 'log-append-time',
    description: 'LogAppendTime (attributes bit 3): every record reads the batch maxTimestamp.',
    make: () =>
      encodeRecordBatch(RECORDS.slice(0, 2), {
        timestampType: TimestampType.LogAppendTime,
        now: () => T0 + 5000,
      }),
  },
  {
    name: 'control-commit',
    description:
      'A transactional control batch (attributes bits 4 and 5) holding one COMMIT marker (coordinator epoch 5), base offset 17, leader epoch 3.',
    make: controlBatch,
  },
];

const hexOrNull = (buf) => (buf === null ? null : buf.toString('hex'));

function describe(name, description, batch) {
  const { header, records } = decodeRecordBatch(batch);
  const recordsStart = 61;
  let recordsSection = batch.subarray(recordsStart);
  if (header.compression !== CompressionType.None) {
    // The uncompressed section is what re-encoding reproduces in every language; the TypeScript
    // codec has no export for it, so it is rebuilt from an uncompressed encoding of the same batch.
    const again = encodeRecordBatch(
      records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
      { timestampType: header.timestampType, now: () => header.maxTimestamp },
    );
    recordsSection = again.subarray(recordsStart);
  }
  return {
    name,
    description,
    hex: batch.toString('hex'),
    recordsHex: recordsSection.toString('hex'),
    header: {
      baseOffset: header.baseOffset,
      batchLength: header.batchLength,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      magic: header.magic,
      crc: header.crc,
      attributes: header.attributes,
      lastOffsetDelta: header.lastOffsetDelta,
      firstTimestamp: header.firstTimestamp,
      maxTimestamp: header.maxTimestamp,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      recordCount: header.recordCount,
    },
    records: records.map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp,
      key: hexOrNull(r.key),
      value: hexOrNull(r.value),
      headers: r.headers.map((h) => ({ key: h.key, value: hexOrNull(h.value) })),
    })),
  };
}

/** What `--check` compares: all but a compressed batch's payload and the fields that follow from it. */
function comparable(vector) {
  if ((vector.header.attributes & 0x07) === 0) return vector;
  const { hex, header, ...rest } = vector;
  const { batchLength, crc, ...stable } = header;
  return { ...rest, header: stable };
}

let stale = 0;
const expectedFiles = new Set();
for (const { name, description, make } of VECTORS) {
  const file = join(dir, `${name}.json`);
  expectedFiles.add(`${name}.json`);
  const vector = describe(name, description, make());
  if (check) {
    let current;
    try {
      current = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      console.error(`${file} is missing: run node scripts/gen-record-batch-vectors.mjs`);
      stale++;
      continue;
    }
    if (JSON.stringify(comparable(current)) !== JSON.stringify(comparable(vector))) {
      console.error(`${file} is stale: run node scripts/gen-record-batch-vectors.mjs`);
      stale++;
    }
  } else {
    writeFileSync(file, `${JSON.stringify(vector, null, 2)}\n`);
  }
}
if (check) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    if (!expectedFiles.has(file)) {
      console.error(`${join(dir, file)} is not a vector this script makes: delete it or add it to VECTORS`);
      stale++;
    }
  }
  if (stale > 0) process.exit(1);
} else {
  console.log(`wrote ${VECTORS.length} vectors to ${dir}`);
}
