import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, TributaryError } from '@tributary/errors';
import type { ProduceRequest__Output } from '@tributary/proto';
import { CompressionType, encodeRecordBatch } from '@tributary/record-batch';
import fc from 'fast-check';
import { Partition } from '../replica/partition';
import { DEFAULT_DATA_PLANE_CONFIG } from '../replica/settings';
import { PartitionLog } from '../storage';
import { type ProduceDeps, prepareProduce } from './produce';

/**
 * Issue 12, item 6: the broker's Produce validation under arbitrary and mutated batches. Each
 * request carries a damaged batch for partition 0 and a good one for partition 1. Every time:
 * partition 0 gets a precise error (a specific code and a message, never UNKNOWN_SERVER_ERROR)
 * and its log is exactly as before (nothing partially appended), or, when the damage happens to
 * leave a valid batch (a byte outside the CRC, say), it is appended whole and reads back; and
 * partition 1 is appended as if nothing happened. No call may throw or hang. Bounded: a few
 * hundred runs per property, a few seconds in all.
 */
const TOPIC = 't';

describe('Produce validation, fuzzed', () => {
  let dir: string;
  let partitions: Partition[];
  let deps: ProduceDeps;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'produce-fuzz-'));
    partitions = [];
    for (const p of [0, 1]) {
      const log = await PartitionLog.open({ dir: join(dir, `${TOPIC}-${p}`) });
      const partition = new Partition(TOPIC, p, log, 0, Date.now);
      partition.makeLeader({
        leader: 0,
        leaderEpoch: 3,
        isr: [0],
        replicas: [0],
        partitionEpoch: 0,
        minInsyncReplicas: 1,
      });
      partitions.push(partition);
    }
    deps = {
      leaders: {
        leaderReplica: (topic, partition) => {
          const found = topic === TOPIC ? partitions[partition] : undefined;
          if (!found) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition}`);
          return found;
        },
      },
      metadata: {
        leaderOf: () => ({ leaderId: 0, leaderEpoch: 3 }),
        partitionExists: (topic, partition) => topic === TOPIC && (partition === 0 || partition === 1),
      },
      config: DEFAULT_DATA_PLANE_CONFIG,
    };
  });

  afterAll(() => {
    for (const p of partitions) p.log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const good = (n = 2, compression = CompressionType.None) =>
    encodeRecordBatch(
      Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`) })),
      { compression },
    );

  const request = (bad: Buffer, acks: number): ProduceRequest__Output =>
    ({
      acks,
      timeoutMs: 1000,
      topics: [
        {
          topic: TOPIC,
          partitions: [
            { partition: 0, data: 'recordBatches', recordBatches: bad },
            { partition: 1, data: 'recordBatches', recordBatches: good(1) },
          ],
        },
      ],
    }) as unknown as ProduceRequest__Output;

  /** Produces `bad` to partition 0 (and a good batch to 1) and checks every promise above. */
  const check = async (bad: Buffer) => {
    const [p0, p1] = partitions as [Partition, Partition];
    const before = { leo: p0.log.logEndOffset, size: p0.log.size, other: p1.log.logEndOffset };
    let timer: NodeJS.Timeout | undefined;
    const response = await Promise.race([
      prepareProduce(request(bad, 1), deps).run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('produce hung')), 2000);
      }),
    ]).finally(() => clearTimeout(timer));
    const [r0, r1] = response.topics![0]!.partitions as [
      { errorCode?: number; errorMessage?: string; baseOffset: number },
      { errorCode?: number; baseOffset: number },
    ];
    expect(r1.errorCode ?? ErrorCode.NONE).toBe(ErrorCode.NONE);
    expect(p1.log.logEndOffset).toBe(before.other + 1);
    const code = r0.errorCode ?? ErrorCode.NONE;
    if (code !== ErrorCode.NONE) {
      expect(code).not.toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
      expect(r0.errorMessage ?? '').not.toBe('');
      expect(r0.baseOffset).toBe(-1);
      expect({ leo: p0.log.logEndOffset, size: p0.log.size }).toEqual({ leo: before.leo, size: before.size });
    } else {
      // The damage left a batch the broker's checks accept (length, magic, CRC, counts,
      // sequence; ARCHITECTURE §3: no per-record decode on the broker): it went in whole, byte for
      // byte behind the fields the broker stamps (base offset, partition leader epoch).
      expect(r0.baseOffset).toBe(before.leo);
      const stored = p0.log.read(before.leo, 1 << 20);
      expect(stored.subarray(16, bad.length)).toEqual(bad.subarray(16));
      expect(stored.readBigInt64BE(0)).toBe(BigInt(before.leo));
      expect(p0.log.logEndOffset).toBe(before.leo + bad.readInt32BE(23) + 1);
    }
  };

  /** Recomputes the CRC, so the damage reaches the checks behind it. */
  const recrc = (batch: Buffer) => {
    if (batch.length >= 61) batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
    return batch;
  };

  it('arbitrary bytes: a precise error every time, nothing appended, the other partition unaffected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => check(Buffer.from(bytes))),
      { numRuns: 300 },
    );
  });

  it('mutated batches (bytes, lengths claiming gigabytes, truncation, wrong CRC, negative counts), with or without a correct CRC', async () => {
    const fields = {
      batchLength: { at: 8, values: [0x7fffffff, -1, 0, 48, 1 << 30] },
      magic: { at: 16, values: [0, 1, 3, -1] },
      lastOffsetDelta: { at: 23, values: [-1, 0x7fffffff, -0x80000000] },
      producerEpoch: { at: 51, values: [-2, 0x7fff] },
      baseSequence: { at: 53, values: [-2, 0x7fffffff] },
      recordCount: { at: 57, values: [-1, 0, 0x7fffffff, -0x80000000, 1000] },
    };
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('bytes' as const),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
      fc.record({
        kind: fc.constant('field' as const),
        field: fc.constantFrom(...(Object.keys(fields) as (keyof typeof fields)[])),
        pick: fc.nat(),
      }),
      fc.record({ kind: fc.constant('crc' as const), delta: fc.integer({ min: 1, max: 0xffff }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(
          CompressionType.None,
          CompressionType.Gzip,
          CompressionType.Lz4,
          CompressionType.Zstd,
        ),
        mutation,
        fc.boolean(),
        async (n, compression, m, fixCrc) => {
          let batch = good(n, compression);
          switch (m.kind) {
            case 'bytes':
              for (const [at, value] of m.edits) batch[at % batch.length] = value;
              break;
            case 'truncate':
              batch = batch.subarray(0, m.keep % batch.length);
              break;
            case 'field': {
              const f = fields[m.field];
              const value = f.values[m.pick % f.values.length]!;
              if (f.at === 16) batch.writeInt8(value, f.at);
              else if (f.at === 51) batch.writeInt16BE(value, f.at);
              else batch.writeInt32BE(value, f.at);
              break;
            }
            case 'crc':
              batch.writeUInt32BE((batch.readUInt32BE(17) + m.delta) >>> 0, 17);
              fixCrc = false;
              break;
          }
          await check(fixCrc ? recrc(Buffer.from(batch)) : Buffer.from(batch));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('whole-request problems change nothing: bad acks, a repeated partition, too many bytes', () => {
    const leo = partitions.map((p) => p.log.logEndOffset);
    expect(() => prepareProduce(request(good(), 2), deps)).toThrow(
      expect.objectContaining({ errorName: 'INVALID_REQUIRED_ACKS' }),
    );
    const twice = request(good(), 1);
    twice.topics[0]!.partitions.push(twice.topics[0]!.partitions[0]!);
    expect(() => prepareProduce(twice, deps)).toThrow(
      expect.objectContaining({ errorName: 'INVALID_REQUEST' }),
    );
    const small = { ...deps, config: { ...deps.config, requestMaxBytes: 10 } };
    expect(() => prepareProduce(request(good(), 1), small)).toThrow(
      expect.objectContaining({ errorName: 'RECORD_LIST_TOO_LARGE' }),
    );
    expect(partitions.map((p) => p.log.logEndOffset)).toEqual(leo);
  });
});
