/**
 * Batches produced by other implementations (bytes only, copied from their test fixtures; each
 * JSON file under ./fixtures names its repository, commit, file and byte range). Expected records
 * are the ones those projects' own tests assert.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { CorruptMessageError } from '@tributary/errors';
import { decompressFrameSync } from 'lz4-napi';
import {
  batchesIn,
  CompressionType,
  type DecodedRecord,
  decodeRecordBatch,
  encodeRecordBatch,
  stampBatch,
  stampLogAppendTime,
  TimestampType,
  validateBatch,
} from './index';

function fixture(name: string): Buffer {
  const { hex } = JSON.parse(readFileSync(join(__dirname, 'fixtures', `${name}.json`), 'utf8')) as {
    hex: string;
  };
  return Buffer.from(hex, 'hex');
}

interface Expected {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers?: [string, string | null][];
}

function plain(records: DecodedRecord[]): Expected[] {
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : r.key.toString(),
    value: r.value === null ? null : r.value.toString(),
    headers: r.headers.map((h): [string, string | null] => [
      h.key,
      h.value === null ? null : h.value.toString(),
    ]),
  }));
}

/** Encodes the decoded records again with the decoded header's settings. */
function reencode(batch: Buffer): Buffer {
  const { header, records } = decodeRecordBatch(batch);
  return encodeRecordBatch(
    records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    {
      compression: header.compression,
      baseOffset: header.baseOffset,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      isTransactional: header.isTransactional,
    },
  );
}

/**
 * gzip's header carries the writer's OS byte (offset 9): 3 from zlib on Linux, 19 on macOS, where
 * the KafkaJS fixtures were made. The deflate stream is what must match; set the OS byte and
 * recompute the CRC so the rest can be compared byte for byte.
 */
function withGzipOs(batch: Buffer, os: number): Buffer {
  const copy = Buffer.from(batch);
  copy[61 + 9] = os;
  copy.writeUInt32BE(crc32c(copy.subarray(21)), 17);
  return copy;
}

describe('KafkaJS fixtures', () => {
  test('produce v3 request: uncompressed, 3 records with headers (a repeated header key)', () => {
    const batch = fixture('kafkajs-produce-v3-headers');
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toMatchObject({
      baseOffset: 0,
      crc: 0xd20a45ed,
      compression: CompressionType.None,
      recordCount: 3,
      lastOffsetDelta: 2,
      producerId: -1,
      producerEpoch: 0,
      baseSequence: 10,
      firstTimestamp: 1509928155660,
      maxTimestamp: 1509928155660,
    });
    expect(plain(records)).toEqual([
      {
        offset: 0,
        timestamp: 1509928155660,
        key: 'key-9d0f348cb2e730e1edc4',
        value: 'some-value-a17b4c81f9ecd1e896e3',
        headers: [
          ['a', 'b'],
          ['c', 'd'],
          ['c', 'e'],
        ],
      },
      {
        offset: 1,
        timestamp: 1509928155660,
        key: 'key-c7073e965c34b4cc6442',
        value: 'some-value-65df422070d7ad73914f',
        headers: [['a', 'b']],
      },
      {
        offset: 2,
        timestamp: 1509928155660,
        key: 'key-1693b184a9b52dbe03bc',
        value: 'some-value-3fcb65ffca087cba20ad',
        headers: [['a', 'b']],
      },
    ]);
    expect(validateBatch(batch)).toEqual(header);
    expect(reencode(batch)).toEqual(batch);
  });

  test('fetch v4 response: uncompressed, 3 records with headers, stored by a Kafka broker', () => {
    const batch = fixture('kafkajs-fetch-v4-headers');
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toMatchObject({ crc: 0xd6545568, partitionLeaderEpoch: 0, recordCount: 3 });
    expect(plain(records)).toEqual(
      [0, 1, 2].map((i) => ({
        offset: i,
        timestamp: 1509827900073,
        key: `key-${i}`,
        value: `some-value-${i}`,
        headers: [[`header-key-${i}`, `header-value-${i}`]],
      })),
    );
    expect(reencode(batch)).toEqual(batch);
  });

  test('fetch v4 response: six one-record batches from the Scala/Java producer', () => {
    const set = fixture('kafkajs-fetch-v4-scala-producer');
    const walked = [...batchesIn(set)];
    expect(walked.map((b) => [b.position, b.size])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i * 107, 107]));
    const timestamps = [
      1539644731680, 1539644732194, 1539644732699, 1539644733203, 1539644733708, 1539644734213,
    ];
    const decoded = walked.flatMap(({ position }) => plain(decodeRecordBatch(set, position).records));
    expect(decoded).toEqual(
      timestamps.map((timestamp, i) => ({
        offset: i,
        timestamp,
        key: `KEY-${i + 1}`,
        value: `VALUE-Lorem ipsum dolor sit amet-${i + 1}`,
        headers: [],
      })),
    );
    for (const { position, size, header } of walked) {
      expect(header).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 });
      const batch = set.subarray(position, position + size);
      expect(reencode(batch)).toEqual(batch);
    }
  });

  test('fetch v4 response: two gzip batches', () => {
    const set = fixture('kafkajs-fetch-v4-gzip');
    const walked = [...batchesIn(set)];
    expect(walked.map((b) => b.header.compression)).toEqual([CompressionType.Gzip, CompressionType.Gzip]);
    const decoded = walked.flatMap(({ position }) => plain(decodeRecordBatch(set, position).records));
    expect(decoded).toEqual(
      [
        ['key-0', 'some-value-0'],
        ['key-1', 'some-value-1'],
        ['key-2', 'some-value-2'],
        ['key-1', 'some-value-1'],
        ['key-2', 'some-value-2'],
        ['key-3', 'some-value-3'],
      ].map(([key, value], offset) => ({ offset, timestamp: 1509827900073, key, value, headers: [] })),
    );
    for (const { position, size } of walked) {
      const batch = set.subarray(position, position + size);
      expect(batch[61 + 9]).toBe(19); // written on macOS
      expect(withGzipOs(reencode(batch), 19)).toEqual(batch);
    }
  });

  test('a gzip batch stamped with LogAppendTime by the broker', () => {
    const batch = fixture('kafkajs-recordbatch-gzip-log-append-time');
    const { header, records } = decodeRecordBatch(batch);
    expect(header).toMatchObject({
      crc: 0xe4c324a5,
      compression: CompressionType.Gzip,
      timestampType: TimestampType.LogAppendTime,
      firstTimestamp: 1597425188775,
      maxTimestamp: 1597425188809,
      producerId: -1,
      producerEpoch: 0,
      baseSequence: 0,
      partitionLeaderEpoch: 0,
    });
    // Under LogAppendTime every record carries the batch's maxTimestamp.
    expect(plain(records)).toEqual([
      {
        offset: 0,
        timestamp: 1597425188809,
        key: 'key-0',
        value: 'value-0-2020-08-14T17:13:08.682Z',
        headers: [],
      },
    ]);
    // Rebuild it as producer and broker did: encode with CreateTime, stamp offset, epoch and
    // LogAppendTime in place.
    const produced = encodeRecordBatch(
      [{ key: records[0]!.key, value: records[0]!.value, timestamp: header.firstTimestamp }],
      { compression: CompressionType.Gzip, producerEpoch: 0, baseSequence: 0 },
    );
    const rebuilt = withGzipOs(produced, batch[61 + 9]!);
    stampBatch(rebuilt, 0, 0, 0);
    stampLogAppendTime(rebuilt, 0, header.maxTimestamp);
    expect(rebuilt).toEqual(batch);
  });

  test('fetch v4 response: a snappy batch is refused as unsupported, not as corrupt', () => {
    const batch = fixture('kafkajs-fetch-v4-snappy');
    expect(validateBatch(batch)).toMatchObject({ compression: CompressionType.Snappy, recordCount: 1 });
    expect(() => decodeRecordBatch(batch)).toThrow(
      expect.objectContaining({ name: 'TributaryError', errorName: 'UNSUPPORTED_COMPRESSION_TYPE' }),
    );
  });

  test('a batch whose attributes say "none" over zstd bytes (valid CRC) is corrupt, not garbage', () => {
    const batch = fixture('kafkajs-recordbatch-zstd-mislabelled');
    expect(validateBatch(batch).compression).toBe(CompressionType.None);
    expect(() => decodeRecordBatch(batch)).toThrow(CorruptMessageError);
  });
});

describe('Sarama fixtures (record_test.go)', () => {
  const expected = [
    {
      offset: 0,
      timestamp: 1479847795005, // firstTimestamp 1479847795000 + delta 5 ms
      key: Buffer.from([1, 2, 3, 4]),
      value: Buffer.from([5, 6, 7]),
      headers: [{ key: '\b\t\n', value: Buffer.from([11, 12]) }],
    },
  ];
  // Sarama leaves maxTimestamp 0 and producer fields 0 here; decoding takes them as they are.
  const header = {
    firstTimestamp: 1479847795000,
    maxTimestamp: 0,
    producerId: 0,
    producerEpoch: 0,
    recordCount: 1,
  };

  test.each([
    ['sarama-uncompressed', CompressionType.None, 0x547961fd],
    ['sarama-gzip', CompressionType.Gzip, 0xe74acea5],
    ['sarama-lz4', CompressionType.Lz4, 0x9d1291f8],
  ])('%s decodes to the same record', (name, compression, crc) => {
    const batch = fixture(name);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.header).toMatchObject({ ...header, compression, crc });
    expect(decoded.records).toEqual(expected);
    expect(validateBatch(batch).crc).toBe(crc);
  });

  test('the lz4 batch is an LZ4 frame (with content checksum) holding exactly our record bytes', () => {
    const batch = fixture('sarama-lz4');
    expect(batch.subarray(61, 65).toString('hex')).toBe('04224d18'); // LZ4 frame magic
    const inner = decompressFrameSync(batch.subarray(61));
    expect(inner).toEqual(fixture('sarama-uncompressed').subarray(61));
    expect(gunzipSync(fixture('sarama-gzip').subarray(61))).toEqual(inner);
  });

  test('our lz4 frames use the header Kafka writes: version 1, independent 64 KiB blocks, no checksums', () => {
    const ours = encodeRecordBatch([{ value: Buffer.alloc(100, 7) }], { compression: CompressionType.Lz4 });
    expect(ours.subarray(61, 67).toString('hex')).toBe('04224d186040');
    expect(decompressFrameSync(ours.subarray(61))).toEqual(
      encodeRecordBatch([{ value: Buffer.alloc(100, 7) }], {
        now: () => decodeRecordBatch(ours).header.firstTimestamp,
      }).subarray(61),
    );
  });
});
