/**
 * Opens a partition directory and brings it to a consistent state (Kafka's `LogLoader`).
 *
 * 1. Leftovers of interrupted writes go: `*.tmp` files, index files without a `.log`.
 * 2. Segments are opened in offset order. After a clean shutdown (the data directory's
 *    `clean-shutdown` marker, written by the log manager once every log was flushed and closed)
 *    or below the recovery point (everything there was fsynced, indexes included), a segment's
 *    index files are loaded and sanity-checked against the log; a missing or damaged index is
 *    rebuilt by a scan. Both facts come from the log manager's files for the data directory
 *    (`LoadOptions`); the per-log marker and recovery-point file of the layout before are read
 *    when found (an upgrade), and removed once the data directory's files have taken over.
 * 3. Every segment that may hold data at or above the recovery point is *recovered*: scanned
 *    batch by batch (complete, size, CRC, dense offsets), its indexes rebuilt, and the file
 *    truncated at the first invalid batch. Segments after a truncated one, or after a gap in
 *    offsets, are deleted: nothing after damage is kept.
 * 4. The leader epoch cache drops epochs beyond the log end; recovery point and high watermark
 *    are clamped to the log end offset.
 *
 * A marker is removed (durably) before the log accepts writes, so a later crash is never
 * mistaken for a clean shutdown (the log manager removes the data directory's before opening).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LogConfig } from '@tributary/topic-config';
import { fsyncDir, OffsetCheckpoint } from './checkpoint-file';
import {
  CLEAN_SHUTDOWN_MARKER,
  HIGH_WATERMARK_CHECKPOINT,
  LEADER_EPOCH_CHECKPOINT,
  parseSegmentFileName,
  RECOVERY_POINT_CHECKPOINT,
  TMP_SUFFIX,
} from './file-names';
import { LeaderEpochCache } from './leader-epoch-cache';
import { Segment } from './segment';

/** What opening a log found and did. */
export interface RecoveryReport {
  /** The log was closed cleanly: nothing was scanned except indexes found damaged. */
  readonly cleanShutdown: boolean;
  readonly segments: number;
  /** Segments scanned and validated batch by batch. */
  readonly recoveredSegments: number;
  /** Base offsets of segments whose index files were missing or damaged and were rebuilt. */
  readonly rebuiltIndexes: readonly number[];
  /** Tails cut off: segment, byte position and why. */
  readonly truncations: readonly { baseOffset: number; position: number; bytes: number; problem: string }[];
  /** Base offsets of segments deleted because they followed damage. */
  readonly deletedSegments: readonly number[];
  readonly logEndOffset: number;
  readonly durationMs: number;
}

/** What the data directory's files say about a log (log-manager.ts reads and writes them). */
export interface LoadOptions {
  /** The data directory's clean-shutdown marker was found: every segment is trusted. */
  readonly cleanShutdown?: boolean;
  /** The log's entry in `recovery-point-offset-checkpoint`, if it has one. */
  readonly checkpointedRecoveryPoint?: number;
  /** The log's entry in `replication-offset-checkpoint`, if it has one. */
  readonly checkpointedHighWatermark?: number;
}

export interface LoadedLog {
  readonly segments: Segment[];
  readonly recoveryPoint: number;
  /** The directory was created by this load: nothing was read, there is no producer state. */
  readonly fresh: boolean;
  readonly highWatermark: number;
  readonly epochCache: LeaderEpochCache;
  readonly report: RecoveryReport;
}

export async function loadLog(
  dir: string,
  config: LogConfig,
  now: number,
  fromFiles: LoadOptions = {},
): Promise<LoadedLog> {
  const started = performance.now();
  if (await createDirectory(dir)) return freshLog(dir, config, started);
  const names = fs.readdirSync(dir);
  const logBases = new Set<number>();
  for (const name of names) {
    if (name.endsWith(TMP_SUFFIX)) fs.rmSync(path.join(dir, name), { force: true });
    const parsed = parseSegmentFileName(name);
    if (parsed?.kind === 'log') logBases.add(parsed.baseOffset);
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name);
    if (parsed !== undefined && parsed.kind !== 'log' && !logBases.has(parsed.baseOffset)) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
  // The layout before kept the marker and the recovery point in each log's directory. A marker
  // there counts for this log (it was written after the log's flush) and is removed below. The
  // file is read while the data directory's checkpoint has no entry for the log (the first start
  // after an upgrade; the log manager writes its file once every log is open), and removed once
  // it has one: a stale copy left behind must never outrank the data directory's.
  const legacyMarker = names.includes(CLEAN_SHUTDOWN_MARKER);
  const cleanShutdown = fromFiles.cleanShutdown === true || legacyMarker;
  const legacyRecoveryPoint = path.join(dir, RECOVERY_POINT_CHECKPOINT);
  let checkpointedRecoveryPoint = fromFiles.checkpointedRecoveryPoint;
  if (names.includes(RECOVERY_POINT_CHECKPOINT)) {
    if (checkpointedRecoveryPoint === undefined)
      checkpointedRecoveryPoint = new OffsetCheckpoint(legacyRecoveryPoint).read();
    else fs.rmSync(legacyRecoveryPoint, { force: true });
  }
  checkpointedRecoveryPoint ??= 0;
  const epochCache = new LeaderEpochCache(path.join(dir, LEADER_EPOCH_CHECKPOINT));

  const options = {
    indexIntervalBytes: config.indexIntervalBytes,
    segmentIndexBytes: config.segmentIndexBytes,
  };
  const bases = [...logBases].sort((a, b) => a - b);
  const segments: Segment[] = [];
  const rebuiltIndexes: number[] = [];
  const truncations: { baseOffset: number; position: number; bytes: number; problem: string }[] = [];
  const deletedSegments: number[] = [];
  let recoveredSegments = 0;

  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const segment = Segment.open(dir, base, options);
    const previous = segments.at(-1);
    if (previous !== undefined && previous.nextOffset !== base) {
      // A gap or an overlap: this segment and everything after it cannot continue the log.
      truncations.push({
        baseOffset: base,
        position: 0,
        bytes: segment.size,
        problem: `offset gap: log continues at ${previous.nextOffset}`,
      });
      for (const later of bases.slice(i)) deletedSegments.push(later);
      segment.delete();
      for (const later of bases.slice(i + 1)) Segment.open(dir, later, options).delete();
      break;
    }
    const nextBase = bases[i + 1] ?? Number.POSITIVE_INFINITY;
    const trusted = cleanShutdown || nextBase <= checkpointedRecoveryPoint;
    if (trusted && segment.loadIndexes(now)) {
      segments.push(segment);
      continue;
    }
    if (trusted) rebuiltIndexes.push(base);
    recoveredSegments++;
    const recovery = await segment.recover(now);
    for (const e of recovery.epochs) {
      if (e.epoch >= 0 && (epochCache.latestEpoch ?? -1) < e.epoch) epochCache.assign(e.epoch, e.startOffset);
    }
    segments.push(segment);
    if (recovery.problem !== undefined) {
      truncations.push({
        baseOffset: base,
        position: recovery.validBytes,
        bytes: recovery.truncatedBytes,
        problem: recovery.problem,
      });
      for (const later of bases.slice(i + 1)) {
        deletedSegments.push(later);
        Segment.open(dir, later, options).delete();
      }
      break;
    }
  }
  if (segments.length === 0) segments.push(Segment.create(dir, 0, options));
  // Every segment but the last is closed: its time index must end with its max timestamp.
  for (const s of segments.slice(0, -1)) s.onBecomeInactive();

  const logStartOffset = segments[0]!.baseOffset;
  const logEndOffset = segments.at(-1)!.nextOffset;
  epochCache.truncateFromEnd(logEndOffset);
  epochCache.truncateFromStart(logStartOffset);
  // The layout before the data directory's replication-offset-checkpoint kept the high watermark
  // in the partition's directory: read it when the directory's file has no entry, and remove it
  // either way (the log manager writes the directory's file once every log is open, so the value
  // moves there; were it lost in a crash meanwhile, the high watermark would start from the log
  // start offset, which is harmless: see partition-offsets-checkpoint.ts).
  let hw = fromFiles.checkpointedHighWatermark;
  if (names.includes(HIGH_WATERMARK_CHECKPOINT)) {
    const legacy = path.join(dir, HIGH_WATERMARK_CHECKPOINT);
    hw ??= new OffsetCheckpoint(legacy).read();
    fs.rmSync(legacy, { force: true });
  }
  hw ??= logStartOffset;
  const recoveryPoint =
    cleanShutdown && truncations.length === 0
      ? logEndOffset
      : Math.min(checkpointedRecoveryPoint, logEndOffset);
  if (legacyMarker) {
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_MARKER), { force: true });
    fsyncDir(dir);
  }
  return {
    segments,
    recoveryPoint: Math.max(recoveryPoint, logStartOffset),
    fresh: false,
    highWatermark: Math.min(Math.max(hw, logStartOffset), logEndOffset),
    epochCache,
    report: {
      cleanShutdown,
      segments: segments.length,
      recoveredSegments,
      rebuiltIndexes,
      truncations,
      deletedSegments,
      logEndOffset,
      durationMs: performance.now() - started,
    },
  };
}

/** Creates `dir` (and missing parents) off the event loop; true if it did not exist. */
async function createDirectory(dir: string): Promise<boolean> {
  return (await fs.promises.mkdir(dir, { recursive: true })) !== undefined;
}

/**
 * The log of a directory just created: one empty segment, no checkpoints to read. A broker
 * taking 10,000 new replicas spent most of its sweep on the synchronous mkdir, reads of absent
 * checkpoints and the file creation of each (docs/scale.md); here the two syscalls left run on
 * the thread pool, so the event loop keeps serving fetches and lease keep-alives meanwhile.
 */
async function freshLog(dir: string, config: LogConfig, started: number): Promise<LoadedLog> {
  const segment = await Segment.createNew(dir, 0, {
    indexIntervalBytes: config.indexIntervalBytes,
    segmentIndexBytes: config.segmentIndexBytes,
  });
  return {
    segments: [segment],
    recoveryPoint: 0,
    highWatermark: 0,
    epochCache: LeaderEpochCache.empty(path.join(dir, LEADER_EPOCH_CHECKPOINT)),
    fresh: true,
    report: {
      cleanShutdown: true, // nothing to recover
      segments: 1,
      recoveredSegments: 0,
      rebuiltIndexes: [],
      truncations: [],
      deletedSegments: [],
      logEndOffset: 0,
      durationMs: performance.now() - started,
    },
  };
}
