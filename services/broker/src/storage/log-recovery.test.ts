/**
 * Crash safety (Kafka's LogTestUtils.recoverAndCheck): write, "crash" (drop the log without
 * closing it, so no clean-shutdown marker and no final flush), damage the files for real, reopen,
 * and check that every complete valid batch before the damage is back, nothing after it, and that
 * appends continue at the right offset. The clean-shutdown marker and the recovery point live in
 * the log manager's files for the data directory; `fromFiles` stands for what they would hold.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { batchesIn, encodeRecordBatch } from '@tributary/record-batch';
import { logConfig } from '@tributary/topic-config';
import { ManualClock } from './clock';
import {
  CLEAN_SHUTDOWN_MARKER,
  LEADER_EPOCH_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  segmentFilePath,
} from './file-names';
import type { LoadOptions } from './log-loader';
import { PartitionLog } from './partition-log';

let root: string;
let dir: string;
const clock = new ManualClock();
const config = logConfig({ segmentBytes: 1000, indexIntervalBytes: 100 });
const open: PartitionLog[] = [];
/** What the data directory's marker and recovery-point checkpoint would say at the next open. */
let fromFiles: LoadOptions = {};

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'log-recovery-'));
  dir = path.join(root, 't-0');
  fromFiles = {};
});
afterEach(() => {
  for (const log of open.splice(0)) log.close();
  fs.rmSync(root, { recursive: true, force: true });
});

async function openLog(): Promise<PartitionLog> {
  const log = await PartitionLog.open({ dir, config, clock, ...fromFiles });
  open.push(log);
  return log;
}

/** Closes the log as the log manager's stop does: its recovery point and the marker are written. */
function closeCleanly(log: PartitionLog): void {
  log.close();
  open.splice(open.indexOf(log), 1);
  fromFiles = { cleanShutdown: true, checkpointedRecoveryPoint: log.recoveryPoint };
}

/**
 * Drops the log as a crash would: no final flush, no marker (its fds just leak). Background
 * flushes started by rolls are let finish first so the files are in a known state, and the
 * recovery point checkpointed; with `forgetRecoveryPoint` it is not, so every segment is scanned.
 */
async function crash(log: PartitionLog, { forgetRecoveryPoint = false } = {}): Promise<void> {
  await log.flushAsync();
  open.splice(open.indexOf(log), 1);
  fromFiles = forgetRecoveryPoint ? {} : { checkpointedRecoveryPoint: log.recoveryPointToCheckpoint() };
}

function batch(i: number): Buffer {
  return encodeRecordBatch(
    [0, 1, 2].map((j) => ({ value: Buffer.from(`record ${i}.${j} `.padEnd(40, '-')) })),
  );
}

/** 30 batches of 3 records (offsets 0-89) over several 1000-byte segments. */
async function writeLog(): Promise<{ log: PartitionLog; batchSize: number }> {
  const log = await openLog();
  for (let i = 0; i < 30; i++) log.append(batch(i), 1);
  expect(log.segmentBaseOffsets.length).toBeGreaterThan(3);
  return { log, batchSize: batch(0).length };
}

function baseOffsets(log: PartitionLog): number[] {
  const bytes = log.read(log.logStartOffset, 1 << 30);
  return [...batchesIn(bytes)].map((b) => b.header.baseOffset);
}

const every = (n: number, step = 3): number[] => Array.from({ length: n }, (_, i) => i * step);

test('a clean close reopens without scanning anything', async () => {
  const { log } = await writeLog();
  closeCleanly(log);
  expect(fromFiles.checkpointedRecoveryPoint).toBe(90);
  const reopened = await openLog();
  expect(reopened.recoveryReport).toMatchObject({
    cleanShutdown: true,
    recoveredSegments: 0,
    truncations: [],
  });
  expect(baseOffsets(reopened)).toEqual(every(30));
  expect(reopened.offsetForTimestamp(0)).toBe(0);
  expect(reopened.recoveryPoint).toBe(90);
});

test('a close writes nothing for a log unchanged since it opened', async () => {
  const { log } = await writeLog();
  closeCleanly(log);
  const before = new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
  const snapshots = [...before.keys()].filter((f) => f.endsWith('.snapshot'));
  for (const f of before.keys()) fs.utimesSync(path.join(dir, f), 0, 0);
  const reopened = await openLog();
  closeCleanly(reopened);
  expect(fs.readdirSync(dir).filter((f) => f.endsWith('.snapshot'))).toEqual(snapshots);
  for (const f of fs.readdirSync(dir)) expect([f, fs.statSync(path.join(dir, f)).mtimeMs]).toEqual([f, 0]);
});

describe('the layout before (a marker and a recovery-point file in each log directory)', () => {
  const legacyFiles = (recoveryPoint: number) => {
    fs.writeFileSync(path.join(dir, CLEAN_SHUTDOWN_MARKER), '');
    fs.writeFileSync(path.join(dir, RECOVERY_POINT_CHECKPOINT), `0\n1\n${recoveryPoint}\n`);
  };

  test('its marker still means a clean shutdown and goes; its recovery point is kept until the data directory has one', async () => {
    const { log } = await writeLog();
    log.close();
    open.pop();
    legacyFiles(90);
    const reopened = await openLog();
    expect(reopened.recoveryReport).toMatchObject({ cleanShutdown: true, recoveredSegments: 0 });
    expect(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_MARKER))).toBe(false);
    expect(fs.existsSync(path.join(dir, RECOVERY_POINT_CHECKPOINT))).toBe(true);
    await crash(reopened);
    expect(fromFiles.checkpointedRecoveryPoint).toBe(90);
    const again = await openLog();
    expect(again.recoveryReport).toMatchObject({ cleanShutdown: false, recoveredSegments: 1 });
    expect(fs.existsSync(path.join(dir, RECOVERY_POINT_CHECKPOINT))).toBe(false);
  });

  test('after a crash its recovery point spares the segments below it', async () => {
    const { log } = await writeLog();
    const segments = log.segmentBaseOffsets;
    await crash(log, { forgetRecoveryPoint: true });
    fs.writeFileSync(path.join(dir, RECOVERY_POINT_CHECKPOINT), `0\n1\n${segments.at(-1)}\n`);
    const reopened = await openLog();
    expect(reopened.recoveryReport).toMatchObject({ cleanShutdown: false, recoveredSegments: 1 });
    expect(baseOffsets(reopened)).toEqual(every(30));
  });
});

test('(a) a batch torn in the middle is cut, with everything after it', async () => {
  const { log, batchSize } = await writeLog();
  const active = log.segmentBaseOffsets.at(-1)!;
  await crash(log);
  const logFile = segmentFilePath(dir, active, 'log');
  const size = fs.statSync(logFile).size;
  fs.truncateSync(logFile, size - Math.floor(batchSize / 2)); // last batch loses half its bytes
  const reopened = await openLog();
  expect(reopened.recoveryReport.truncations).toEqual([
    expect.objectContaining({
      baseOffset: active,
      position: size - batchSize,
      problem: expect.stringMatching(/incomplete/),
    }),
  ]);
  expect(baseOffsets(reopened)).toEqual(every(29));
  expect(reopened.logEndOffset).toBe(87);
  expect(reopened.append(batch(99), 1).baseOffset).toBe(87);
  expect(baseOffsets(reopened)).toEqual(every(30));
});

test('(a) a cut inside the header of a batch is recovered too', async () => {
  const { log, batchSize } = await writeLog();
  const active = log.segmentBaseOffsets.at(-1)!;
  await crash(log);
  const logFile = segmentFilePath(dir, active, 'log');
  fs.truncateSync(logFile, fs.statSync(logFile).size - batchSize + 20);
  const reopened = await openLog();
  expect(reopened.logEndOffset).toBe(87);
  expect(reopened.recoveryReport.truncations[0]!.bytes).toBe(20);
});

test('(b) flipped bytes inside the last batch fail its CRC: it is cut', async () => {
  const { log, batchSize } = await writeLog();
  const active = log.segmentBaseOffsets.at(-1)!;
  await crash(log);
  const logFile = segmentFilePath(dir, active, 'log');
  const data = fs.readFileSync(logFile);
  const at = data.length - Math.floor(batchSize / 3);
  data[at]! ^= 0xff;
  data[at + 1]! ^= 0x0f;
  fs.writeFileSync(logFile, data);
  const reopened = await openLog();
  expect(reopened.recoveryReport.truncations[0]!.problem).toMatch(/CRC/);
  expect(baseOffsets(reopened)).toEqual(every(29));
  expect(reopened.append(batch(99), 1).baseOffset).toBe(87);
});

test('(b) damage in an earlier segment keeps what precedes it and deletes every later segment', async () => {
  const { log, batchSize } = await writeLog();
  const segments = log.segmentBaseOffsets;
  await crash(log, { forgetRecoveryPoint: true });
  const logFile = segmentFilePath(dir, segments[1]!, 'log');
  const data = fs.readFileSync(logFile);
  data[batchSize + 70]! ^= 0x55; // second batch of the second segment
  fs.writeFileSync(logFile, data);
  const reopened = await openLog();
  const firstBad = segments[1]! + 3;
  expect(reopened.logEndOffset).toBe(firstBad);
  expect(reopened.recoveryReport.deletedSegments).toEqual(segments.slice(2));
  expect(reopened.segmentBaseOffsets).toEqual(segments.slice(0, 2));
  expect(baseOffsets(reopened)).toEqual(every(firstBad / 3));
  expect(reopened.append(batch(99), 1).baseOffset).toBe(firstBad);
});

test('(b) a changed base offset (outside the CRC) breaks density and is cut', async () => {
  const { log, batchSize } = await writeLog();
  const active = log.segmentBaseOffsets.at(-1)!;
  await crash(log);
  const logFile = segmentFilePath(dir, active, 'log');
  const data = fs.readFileSync(logFile);
  data.writeUInt32BE(1000, data.length - batchSize + 4);
  fs.writeFileSync(logFile, data);
  const reopened = await openLog();
  expect(reopened.recoveryReport.truncations[0]!.problem).toMatch(/base offset/);
  expect(reopened.logEndOffset).toBe(87);
});

test('(c) a deleted index file is rebuilt', async () => {
  const { log } = await writeLog();
  const segments = log.segmentBaseOffsets;
  closeCleanly(log);
  fs.rmSync(segmentFilePath(dir, segments[1]!, 'index'));
  fs.rmSync(segmentFilePath(dir, segments.at(-1)!, 'timeindex'));
  const reopened = await openLog();
  expect(reopened.recoveryReport.rebuiltIndexes).toEqual([segments[1], segments.at(-1)]);
  expect(reopened.recoveryReport.truncations).toEqual([]);
  expect(baseOffsets(reopened)).toEqual(every(30));
  expect(reopened.read(segments[1]! + 4, 1).readUInt32BE(4)).toBe(segments[1]! + 3);
  expect(reopened.append(batch(99), 1).baseOffset).toBe(90);
  closeCleanly(reopened);
  expect(fs.statSync(segmentFilePath(dir, segments[1]!, 'index')).size).toBeGreaterThan(0);
});

test('(c) a damaged index is detected and rebuilt, also after a crash', async () => {
  const { log } = await writeLog();
  const segments = log.segmentBaseOffsets;
  await crash(log); // recovery point at the end: only the active segment is scanned on reopen
  fs.writeFileSync(segmentFilePath(dir, segments[0]!, 'index'), Buffer.from('garbage!'.repeat(3)));
  fs.writeFileSync(segmentFilePath(dir, segments[1]!, 'index'), Buffer.alloc(7));
  const reopened = await openLog();
  expect(reopened.recoveryReport.rebuiltIndexes).toEqual(segments.slice(0, 2));
  expect(reopened.recoveryReport.recoveredSegments).toBe(3);
  expect(baseOffsets(reopened)).toEqual(every(30));
  for (let offset = 0; offset < 90; offset += 7) {
    expect(reopened.read(offset, 1).readUInt32BE(4)).toBe(offset - (offset % 3));
  }
});

test('after a crash only segments from the recovery point on are scanned', async () => {
  const { log } = await writeLog();
  const segments = log.segmentBaseOffsets;
  await crash(log);
  const reopened = await openLog();
  expect(reopened.recoveryReport).toMatchObject({ cleanShutdown: false, recoveredSegments: 1 });
  expect(reopened.segmentBaseOffsets).toEqual(segments);
  expect(baseOffsets(reopened)).toEqual(every(30));
});

test('a crash without a recovery point scans every segment and keeps every batch', async () => {
  const { log } = await writeLog();
  const segments = log.segmentBaseOffsets;
  await crash(log, { forgetRecoveryPoint: true });
  const reopened = await openLog();
  expect(reopened.recoveryReport.recoveredSegments).toBe(segments.length);
  expect(reopened.epochEntries).toEqual([{ epoch: 1, startOffset: 0 }]);
  expect(baseOffsets(reopened)).toEqual(every(30));
});

test('an empty trailing segment (crash right after a roll) is fine', async () => {
  const { log } = await writeLog();
  await crash(log);
  fs.writeFileSync(segmentFilePath(dir, 90, 'log'), '');
  const reopened = await openLog();
  expect(reopened.logEndOffset).toBe(90);
  expect(reopened.append(batch(1), 1).baseOffset).toBe(90);
});

describe('a new log', () => {
  test('is created without reading or writing checkpoints; its first epoch is written at close', async () => {
    const log = await openLog();
    expect(log.recoveryReport).toMatchObject({ segments: 1, logEndOffset: 0 });
    log.assignEpoch(5, 0);
    expect(fs.readdirSync(dir)).toEqual(['00000000000000000000.log']);
    closeCleanly(log);
    expect(fs.readFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8')).toBe('0\n1\n5 0\n');
  });

  test('a first epoch lost in a crash comes back from the batches written in it', async () => {
    const log = await openLog();
    log.assignEpoch(3, 0);
    log.append(batch(0), 3);
    log.append(batch(1), 3);
    // before the log manager checkpointed this log's recovery point (which syncs the epochs)
    await crash(log, { forgetRecoveryPoint: true });
    expect(fs.existsSync(path.join(dir, LEADER_EPOCH_CHECKPOINT))).toBe(false);
    const reopened = await openLog();
    expect(reopened.logEndOffset).toBe(6);
    expect(reopened.epochEntries).toEqual([{ epoch: 3, startOffset: 0 }]);
  });

  test('a second epoch writes the file with both', async () => {
    const log = await openLog();
    log.assignEpoch(3, 0);
    log.append(batch(0), 3);
    log.assignEpoch(4, 3);
    await crash(log);
    const onFile = fs.readFileSync(path.join(dir, LEADER_EPOCH_CHECKPOINT), 'utf8');
    expect(onFile).toBe('0\n2\n3 0\n4 3\n');
  });
});
