/**
 * The one module that builds and parses storage file names. Nothing else in the broker puts a
 * storage path together by hand.
 *
 * Layout of a data directory:
 *
 * ```
 * <dataDir>/<topic>-<partition>/                     one directory per partition log
 *   00000000000000000000.log                          segment data: record batches, back to back
 *   00000000000000000000.index                        sparse offset index of that segment
 *   00000000000000000000.timeindex                    time index of that segment
 *   leader-epoch-checkpoint                           epoch -> start offset
 *   00000000000000042000.snapshot                     producer state at log end offset 42000
 *   recovery-point-checkpoint, clean-shutdown         (the layout before the data directory's; read once)
 *   high-watermark-checkpoint                         (before replication-offset-checkpoint; read once)
 * <dataDir>/<topic>-<partition>.<millis>-delete/      a deleted log, removed in the background
 * <dataDir>/owner                                     the process owning the directory, its lease
 * <dataDir>/replication-offset-checkpoint             every log's last high watermark, one file
 * <dataDir>/recovery-point-offset-checkpoint          every log's recovery point, one file
 * <dataDir>/clean-shutdown                            present only while every log is cleanly closed
 * ```
 *
 * Base offsets are zero-padded to 20 digits (enough for any int64) so `ls` sorts segments in
 * offset order.
 */
import * as path from 'node:path';

export type SegmentFileKind = 'log' | 'index' | 'timeindex';

const OFFSET_DIGITS = 20;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
const PARTITION_DIR = /^(.+)-(\d+)$/;
const DELETED_DIR = /^.+-\d+\.\d+-delete$/;

/** Suffix of a file being written before its atomic rename. */
export const TMP_SUFFIX = '.tmp';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
/** The layout before RECOVERY_POINT_OFFSET_CHECKPOINT: one log's recovery point; read once, removed. */
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-checkpoint';
/** In the data directory itself: every log's recovery point (Kafka's name). */
export const RECOVERY_POINT_OFFSET_CHECKPOINT = 'recovery-point-offset-checkpoint';
/** The layout before REPLICATION_OFFSET_CHECKPOINT: one log's high watermark; read once, removed. */
export const HIGH_WATERMARK_CHECKPOINT = 'high-watermark-checkpoint';
/** In the data directory itself: every log's high watermark (partition-offsets-checkpoint.ts). */
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
/**
 * In the data directory: every log was flushed and closed (Kafka's `.kafka_cleanshutdown`). The
 * layout before kept one in each log's directory; one found there still counts for that log.
 */
export const CLEAN_SHUTDOWN_MARKER = 'clean-shutdown';
/** In the data directory itself: which process owns it (data-dir-owner.ts). */
export const OWNER_RECORD = 'owner';

/** `00000000000000000042` for 42. */
export function formatOffset(offset: number): string {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`invalid base offset ${offset}`);
  return String(offset).padStart(OFFSET_DIGITS, '0');
}

export function segmentFileName(baseOffset: number, kind: SegmentFileKind): string {
  return `${formatOffset(baseOffset)}.${kind}`;
}

export function segmentFilePath(dir: string, baseOffset: number, kind: SegmentFileKind): string {
  return path.join(dir, segmentFileName(baseOffset, kind));
}

/** Parses `<20 digits>.<kind>`; anything else (checkpoints, temp files) gives undefined. */
export function parseSegmentFileName(
  name: string,
): { baseOffset: number; kind: SegmentFileKind } | undefined {
  const m = SEGMENT_FILE.exec(name);
  if (!m) return undefined;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return undefined;
  return { baseOffset, kind: m[2] as SegmentFileKind };
}

/**
 * `<20 digits>.snapshot`: the producer-state snapshot taken at that log end offset. Not a segment
 * file kind: a snapshot's offset is often no segment's base offset (one is taken at close).
 */
export function snapshotFileName(offset: number): string {
  return `${formatOffset(offset)}.snapshot`;
}

/** The offset of a `<20 digits>.snapshot` name; undefined for any other name. */
export function parseSnapshotFileName(name: string): number | undefined {
  const m = SNAPSHOT_FILE.exec(name);
  if (!m) return undefined;
  const offset = Number(m[1]);
  return Number.isSafeInteger(offset) ? offset : undefined;
}

/** `orders-3` for topic `orders`, partition 3. */
export function partitionDirName(topic: string, partition: number): string {
  if (!Number.isSafeInteger(partition) || partition < 0)
    throw new RangeError(`invalid partition ${partition}`);
  if (topic.length === 0) throw new RangeError('empty topic name');
  return `${topic}-${partition}`;
}

/** Parses `<topic>-<partition>`; topic names may themselves contain `-`, the last one separates. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  if (isDeletedDirName(name)) return undefined;
  const m = PARTITION_DIR.exec(name);
  if (!m) return undefined;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition)) return undefined;
  return { topic: m[1]!, partition };
}

/** The name a log directory is renamed to before it is removed: `<topic>-<p>.<millis>-delete`. */
export function deletedDirName(dirName: string, nowMs: number): string {
  return `${dirName}.${nowMs}-delete`;
}

export function isDeletedDirName(name: string): boolean {
  return DELETED_DIR.test(name);
}
