import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeRecordBatch, readBatchHeader } from '@tributary/record-batch';
import { logConfig } from '@tributary/topic-config';
import { ManualClock } from './clock';
import { snapshotFileName } from './file-names';
import { PartitionLog } from './partition-log';
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  listProducerSnapshots,
} from './producer-snapshot-file';

let root: string;
let dir: string;
const clock = new ManualClock();
const open: PartitionLog[] = [];

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'producer-snapshot-'));
  dir = path.join(root, 't-0');
});
afterEach(() => {
  for (const log of open.splice(0)) log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function openLog(overrides: Parameters<typeof logConfig>[0] = {}): Promise<PartitionLog> {
  const log = await PartitionLog.open({ dir, config: logConfig(overrides), clock });
  open.push(log);
  return log;
}

/** Opens the directory again without closing `log`: what a broker sees after kill -9. */
async function reopenAfterCrash(log: PartitionLog, overrides: Parameters<typeof logConfig>[0] = {}) {
  open.splice(open.indexOf(log), 1);
  return openLog(overrides);
}

/** An idempotent batch of `count` 100-byte records of producer `pid` from sequence `seq`. */
function idempotent(pid: number, seq: number, count = 5, epoch = 0): Buffer {
  const records = Array.from({ length: count }, () => ({ value: Buffer.alloc(100, 7) }));
  return encodeRecordBatch(records, { producerId: pid, producerEpoch: epoch, baseSequence: seq });
}

/** Appends `n` batches of 5 records for each producer in `pids`, sequences continuing from `from`. */
function produce(log: PartitionLog, pids: number[], n: number, from = 0): void {
  for (let i = 0; i < n; i++) for (const pid of pids) log.append(idempotent(pid, from + i * 5), 0);
}

const snapshotPath = (offset: number) => path.join(dir, snapshotFileName(offset));

describe('snapshot file format', () => {
  const entries = [
    { producerId: 2 ** 40, epoch: 3, batches: [{ firstSeq: 0, lastSeq: 4, baseOffset: 2 ** 35 }] },
    {
      producerId: 7,
      epoch: 0,
      batches: [
        { firstSeq: 10, lastSeq: 14, baseOffset: 100 },
        { firstSeq: 15, lastSeq: 19, baseOffset: 120 },
      ],
    },
  ];

  test('round-trips', () => {
    expect(decodeProducerSnapshot(encodeProducerSnapshot(entries))).toEqual(entries);
    expect(decodeProducerSnapshot(encodeProducerSnapshot([]))).toEqual([]);
  });

  test('any flipped byte, a cut or extra bytes read as corrupt', () => {
    const good = encodeProducerSnapshot(entries);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x10;
      expect(decodeProducerSnapshot(bad)).toBeUndefined();
    }
    expect(decodeProducerSnapshot(good.subarray(0, good.length - 1))).toBeUndefined();
    expect(decodeProducerSnapshot(Buffer.concat([good, Buffer.alloc(1)]))).toBeUndefined();
    expect(decodeProducerSnapshot(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('producer state snapshots of a partition log', () => {
  test('taken at each roll and at close; a clean reopen loads the latest and walks nothing', async () => {
    const log = await openLog({ segmentBytes: 4096 });
    produce(log, [1, 2], 20);
    const bases = log.segmentBaseOffsets;
    expect(bases.length).toBeGreaterThan(2);
    // One per roll, at the new segment's base offset.
    expect(listProducerSnapshots(dir)).toEqual(bases.slice(1));
    const end = log.logEndOffset;
    log.close();
    open.splice(0);
    expect(listProducerSnapshots(dir)).toEqual([...bases.slice(1), end]);

    const reopened = await openLog({ segmentBytes: 4096 });
    expect(reopened.producerStateLoad).toMatchObject({
      snapshotOffset: end,
      batchesScanned: 0,
      producers: 2,
    });
    // The last batch of producer 1 is a duplicate: its retry gets the original offset.
    const last = readBatchHeader(idempotent(1, 95));
    expect(reopened.producerState.check(last)).toEqual({ duplicateOf: end - 10 });
    expect(() => reopened.producerState.check(readBatchHeader(idempotent(1, 105)))).toThrow(
      /expected sequence 100/,
    );
  });

  test('after a crash the latest roll snapshot is loaded and only the batches after it are walked', async () => {
    const log = await openLog({ segmentBytes: 4096 });
    produce(log, [1, 2], 20);
    const activeBase = log.segmentBaseOffsets.at(-1)!;
    const batchesInActive = (log.logEndOffset - activeBase) / 5;
    const reopened = await reopenAfterCrash(log, { segmentBytes: 4096 });
    expect(reopened.producerStateLoad).toMatchObject({
      snapshotOffset: activeBase,
      batchesScanned: batchesInActive,
      producers: 2,
    });
    expect(reopened.producerState.check(readBatchHeader(idempotent(2, 95)))).toEqual({
      duplicateOf: reopened.logEndOffset - 5,
    });
  });

  test('a corrupt or missing snapshot falls back to an older one, then to the whole log', async () => {
    const log = await openLog({ segmentBytes: 4096 });
    produce(log, [1, 2], 20);
    const end = log.logEndOffset;
    log.close();
    open.splice(0);
    const snapshots = listProducerSnapshots(dir);
    // The latest: bytes flipped. It is deleted and the one before it used.
    const latest = fs.readFileSync(snapshotPath(end));
    latest[latest.length - 3]! ^= 0xff;
    fs.writeFileSync(snapshotPath(end), latest);
    let reopened = await openLog({ segmentBytes: 4096 });
    const previous = snapshots.at(-2)!;
    expect(reopened.producerStateLoad).toMatchObject({ snapshotOffset: previous, corruptSnapshots: [end] });
    expect(fs.existsSync(snapshotPath(end))).toBe(false);
    expect(reopened.producerState.check(readBatchHeader(idempotent(1, 95)))).toEqual({
      duplicateOf: end - 10,
    });
    reopened.close();
    open.splice(0);

    // Every snapshot gone (a torn one truncated to nothing, the rest deleted): the whole log is walked.
    for (const o of listProducerSnapshots(dir)) fs.rmSync(snapshotPath(o));
    fs.writeFileSync(snapshotPath(end), Buffer.alloc(0));
    reopened = await openLog({ segmentBytes: 4096 });
    expect(reopened.producerStateLoad).toMatchObject({
      snapshotOffset: undefined,
      corruptSnapshots: [end],
      batchesScanned: 40,
      producers: 2,
    });
    expect(reopened.producerState.check(readBatchHeader(idempotent(2, 95)))).toEqual({
      duplicateOf: end - 5,
    });
  });

  test('truncation drops snapshots above the new end and reloads the state', async () => {
    const log = await openLog({ segmentBytes: 4096 });
    produce(log, [1], 40);
    const bases = log.segmentBaseOffsets;
    const cut = bases[1]! + 5; // inside the second segment, after its first batch
    log.truncateTo(cut);
    expect(listProducerSnapshots(dir)).toEqual([bases[1]]);
    expect(log.producerStateLoad).toMatchObject({ snapshotOffset: bases[1], batchesScanned: 1 });
    // Producer 1's last batch is now the one at cut - 5 (sequence cut - 5): the next is cut.
    expect(log.producerState.check(readBatchHeader(idempotent(1, cut - 5)))).toEqual({
      duplicateOf: cut - 5,
    });
    expect(log.producerState.check(readBatchHeader(idempotent(1, cut)))).toEqual({});
    log.truncateFullyAndStartAt(1000);
    expect(listProducerSnapshots(dir)).toEqual([]);
    expect(log.producerState.size).toBe(0);
  });

  test('retention deletes snapshots with their segments and forgets producers with nothing left', async () => {
    const log = await openLog({ segmentBytes: 4096, retentionBytes: 1 });
    produce(log, [1], 20);
    log.append(idempotent(2, 0, 40), 0); // larger than what is left of the segment: rolls first
    log.highWatermark = log.logEndOffset;
    const deleted = log.applyRetention();
    expect(deleted).toBeGreaterThan(0);
    const start = log.logStartOffset;
    expect(listProducerSnapshots(dir).every((o) => o >= start)).toBe(true);
    // Only the active segment is left, holding producer 2's batch alone.
    expect(log.segmentBaseOffsets).toEqual([start]);
    expect(log.producerState.size).toBe(1);
  });
});
