import { crc32c } from '@node-rs/crc32';
import {
  batchesIn,
  batchSizeAt,
  CompressionType,
  decodeBatchRecords,
  decodeRecordBatch,
  encodeRecordBatch,
  frameBatchAt,
  peekIsControl,
  peekLastOffset,
  peekLeaderEpoch,
  peekRecordCount,
  readBatchHeader,
  TimestampType,
} from './index';

// The consumer's path (docs/scale.md, eighth round): the fetcher frames with `frameBatchAt` and
// the peeks, the decode is `decodeBatchRecords`. Both must accept and refuse exactly what
// `batchesIn` + `decodeRecordBatch` do, bar the header fields the framing leaves to the decode.

const NOW = 1_700_000_000_000;

function samples(): Buffer[] {
  const records = [
    {
      key: Buffer.from('k0'),
      value: Buffer.from('value-0'),
      headers: [{ key: 'h', value: Buffer.from('x') }],
    },
    { key: null, value: Buffer.alloc(0) },
    { key: Buffer.from('k2'), value: null, timestamp: NOW - 1 },
  ];
  const out = [
    encodeRecordBatch([{ key: Buffer.from('key-1'), value: Buffer.alloc(100, 97) }], {
      baseOffset: 2 ** 40 + 7,
      partitionLeaderEpoch: 3,
      now: () => NOW,
    }),
    encodeRecordBatch(records, {
      baseOffset: 40,
      timestampType: TimestampType.LogAppendTime,
      now: () => NOW,
    }),
    encodeRecordBatch([{ value: Buffer.from('m') }], { isControl: true, now: () => NOW }),
  ];
  for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Zstd])
    out.push(
      encodeRecordBatch(records, { compression, baseOffset: 9, partitionLeaderEpoch: 1, now: () => NOW }),
    );
  return out;
}

/** What `f` returns, or the message of what it throws. */
function outcome<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

function expectSameDecode(buf: Buffer, what: string): void {
  const expected = outcome(
    () => decodeRecordBatch(buf, 0, { topic: 't', partition: 2, leaderEpoch: 5 }).records,
  );
  const actual = outcome(() => decodeBatchRecords(buf, 0, { topic: 't', partition: 2, leaderEpoch: 5 }));
  expect([what, actual]).toEqual([what, expected]);
}

describe('decodeBatchRecords', () => {
  test('returns the records decodeRecordBatch returns', () => {
    for (const batch of samples()) {
      const records = decodeBatchRecords(batch);
      expect(records).toEqual(decodeRecordBatch(batch).records);
      expect(records.length).toBeGreaterThan(0);
    }
  });

  test('throws what decodeRecordBatch throws: every truncation, every flipped byte, with and without a fixed CRC', () => {
    for (const [n, batch] of samples().entries()) {
      for (let cut = 0; cut < batch.length; cut++)
        expectSameDecode(Buffer.from(batch.subarray(0, cut)), `${n} cut ${cut}`);
      for (let i = 0; i < batch.length; i++)
        for (const bit of [0x01, 0x10, 0x80]) {
          const damaged = Buffer.from(batch);
          damaged[i]! ^= bit;
          expectSameDecode(damaged, `${n} byte ${i} ^ ${bit}`);
          // The CRC made right again, as a buggy encoder would leave it: the field checks decide.
          if (i >= 21 && damaged.length >= 61) {
            damaged.writeUInt32BE(crc32c(damaged.subarray(21)), 17);
            expectSameDecode(damaged, `${n} byte ${i} ^ ${bit}, CRC fixed`);
          }
        }
    }
  });
});

describe('frameBatchAt and the peeks the fetcher frames with', () => {
  test('read what batchesIn reads, batch after batch', () => {
    const all = Buffer.concat(samples());
    const walked = [...batchesIn(all)];
    let position = 0;
    for (const { position: at, size, header } of walked) {
      expect(position).toBe(at);
      expect(frameBatchAt(all, at)).toBe(size);
      expect(peekLastOffset(all, at)).toBe(header.baseOffset + header.lastOffsetDelta);
      expect(peekLeaderEpoch(all, at)).toBe(header.partitionLeaderEpoch);
      expect(peekIsControl(all, at)).toBe(header.isControl);
      expect(peekRecordCount(all, at)).toBe(header.recordCount);
      position += size;
    }
    expect(position).toBe(all.length);
    expect(walked.map((b) => b.header.isControl)).toContain(true);
  });

  test('throws where batchesIn throws for framing: partial, too short a batchLength, wrong magic', () => {
    for (const batch of samples()) {
      for (let cut = 1; cut < batch.length; cut++) {
        const part = Buffer.from(batch.subarray(0, cut));
        expect(() => frameBatchAt(part, 0)).toThrow(cut < 12 ? /needs at least 12/ : /Partial batch/);
        expect(() => [...batchesIn(part)]).toThrow(/Partial batch/);
      }
      for (const silly of [48, 0, -1]) {
        const bad = Buffer.from(batch);
        bad.writeInt32BE(silly, 8);
        expect(() => frameBatchAt(bad, 0)).toThrow(/below the minimum/);
      }
      for (const magic of [0, 1, 3]) {
        const bad = Buffer.from(batch);
        bad[16] = magic;
        expect(() => frameBatchAt(bad, 0)).toThrow(/magic/);
        expect(() => readBatchHeader(bad, 0)).toThrow(/magic/);
      }
    }
  });

  test('leaves the header fields and the CRC to the decode', () => {
    const batch = samples()[0]!;
    const damaged = Buffer.from(batch);
    damaged[22]! |= 0x07; // compression id 7
    expect(frameBatchAt(damaged, 0)).toBe(batchSizeAt(batch, 0));
    expect(() => readBatchHeader(damaged, 0)).toThrow(/unknown compression id 7/);
    expect(() => decodeBatchRecords(damaged)).toThrow(/CRC mismatch/);
  });
});
