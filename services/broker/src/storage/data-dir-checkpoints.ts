/**
 * What the logs of a data directory share on disk, as in Kafka's `LogManager` (why one file for
 * all logs: partition-offsets-checkpoint.ts):
 *
 * - `replication-offset-checkpoint`: every log's high watermark; rewritten (without fsync) when
 *   one moved or a log went, checked every 5 s.
 * - `recovery-point-offset-checkpoint`: every log's recovery point, always fsynced; rewritten
 *   soon after a log's recovery point passed a segment's end (the log manager schedules it, so
 *   the rolls of many logs at once cost one write), at once when a truncation moved one below
 *   what the file holds, before a log is created where a deleted one still has an entry, and at
 *   start and stop.
 * - `clean-shutdown`: written at stop, last, once every log was flushed and closed and the
 *   recovery points written (each then its log end offset); removed at start before any log
 *   opens. With it, no log is scanned; without it each log recovers from its recovery point.
 *
 * A recovery point in the file never exceeds the log's own (the logs advance theirs only after
 * an fsync, and a truncation that moves one back rewrites the file before it returns), so a
 * segment it vouches for is on disk; the leader epochs below it are synced before it is written.
 *
 * Concurrency: synchronous; owned by the data directory's LogManager, which passes the map of
 * its open logs (by directory name) and keeps it current.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsyncDir } from './checkpoint-file';
import {
  CLEAN_SHUTDOWN_MARKER,
  parsePartitionDirName,
  RECOVERY_POINT_OFFSET_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
} from './file-names';
import type { RecoveryPointChange } from './log-flusher';
import type { PartitionLog } from './partition-log';
import { type PartitionOffset, PartitionOffsetsCheckpoint } from './partition-offsets-checkpoint';

/** What the files said at start, for the logs opened then. */
export interface StartupFiles {
  /** The clean-shutdown marker was there (it is gone now). */
  readonly cleanShutdown: boolean;
  readonly highWatermarks: Map<string, number> | undefined;
  readonly recoveryPoints: Map<string, number> | undefined;
}

export class DataDirCheckpoints {
  readonly #highWatermarks: PartitionOffsetsCheckpoint;
  readonly #recoveryPoints: PartitionOffsetsCheckpoint;
  readonly #marker: string;
  /** Each log's high watermark as the file last held it. */
  readonly #writtenHighWatermarks = new Map<string, number>();
  /** A log left since the last write: the file must drop its entry. */
  #highWatermarkEntryDropped = false;
  /** Each log's recovery point as the file holds it (entries of logs deleted since too). */
  #writtenRecoveryPoints = new Map<string, number>();
  /** A recovery point passed a segment's end since the last write. */
  #recoveryPointsDue = false;

  constructor(
    readonly dataDir: string,
    private readonly logs: ReadonlyMap<string, PartitionLog>,
    /** A recovery point passed a segment's end: call `checkpointRecoveryPoints` soon. */
    private readonly onRecoveryPointsDue: () => void,
  ) {
    this.#highWatermarks = new PartitionOffsetsCheckpoint(path.join(dataDir, REPLICATION_OFFSET_CHECKPOINT));
    this.#recoveryPoints = new PartitionOffsetsCheckpoint(
      path.join(dataDir, RECOVERY_POINT_OFFSET_CHECKPOINT),
    );
    this.#marker = path.join(dataDir, CLEAN_SHUTDOWN_MARKER);
  }

  /** Reads the files before any log opens, and removes the marker (durably). */
  readAtStart(): StartupFiles {
    const cleanShutdown = fs.existsSync(this.#marker);
    const recoveryPoints = this.#recoveryPoints.read();
    this.#writtenRecoveryPoints = new Map(recoveryPoints);
    if (cleanShutdown) {
      // Before any log can take a write: a crash from now on must not pass for a clean shutdown.
      // (A crash before the logs are open recovers them from the recovery points, which the
      // clean shutdown wrote as their log end offsets: only each log's last segment is scanned.)
      fs.rmSync(this.#marker);
      fsyncDir(this.dataDir);
    }
    return { cleanShutdown, highWatermarks: this.#highWatermarks.read(), recoveryPoints };
  }

  /**
   * Every log is open: both files are written now, not in a few seconds. The logs took over what
   * the layout before kept in their directories, recovery may have moved recovery points back (a
   * truncated tail), and entries of logs gone must go.
   */
  writeAfterStart(): void {
    this.#writeHighWatermarks(false);
    this.#writeRecoveryPoints();
  }

  /** Before a log is created: a deleted log's entry under its name must not be read as its own. */
  beforeCreate(key: string): void {
    if (this.#writtenRecoveryPoints.has(key)) this.#writeRecoveryPoints();
  }

  /** A log was deleted. */
  deleted(key: string): void {
    if (this.#writtenHighWatermarks.delete(key)) this.#highWatermarkEntryDropped = true;
  }

  /** Rewrites the high-watermark file if a high watermark moved or a log went since the last write. */
  checkpointHighWatermarks(): void {
    let moved = this.#highWatermarkEntryDropped;
    if (!moved) {
      for (const [key, log] of this.logs) {
        if (this.#writtenHighWatermarks.get(key) !== log.highWatermark) {
          moved = true;
          break;
        }
      }
    }
    if (moved) this.#writeHighWatermarks(false);
  }

  /** A log's recovery point moved (`onRecoveryPointChange` of each log). */
  recoveryPointChanged(key: string, log: PartitionLog, change: RecoveryPointChange): void {
    if (change === 'segment-flushed') {
      this.#recoveryPointsDue = true;
      this.onRecoveryPointsDue();
    } else if (log.recoveryPoint < (this.#writtenRecoveryPoints.get(key) ?? 0)) {
      // Synchronously, before the truncating call returns and the log takes new appends: data
      // appended below the old value would not be on disk, yet a crash would trust it unscanned.
      this.#writeRecoveryPoints();
    }
  }

  /** Rewrites the recovery-point file if a recovery point passed a segment's end since the last write. */
  checkpointRecoveryPoints(): void {
    if (this.#recoveryPointsDue) this.#writeRecoveryPoints();
  }

  /**
   * Every log is closed: both files are written durably, then, if `clean` (every log was flushed
   * and closed), the marker. Returns whether the marker was written.
   */
  writeAtShutdown(clean: boolean): boolean {
    this.#writeRecoveryPoints();
    this.#writeHighWatermarks(true);
    if (!clean) return false;
    fs.writeFileSync(this.#marker, '');
    fsyncDir(this.dataDir);
    return true;
  }

  #writeHighWatermarks(durable: boolean): void {
    const written = this.#write(this.#highWatermarks, (log) => log.highWatermark, durable);
    this.#writtenHighWatermarks.clear();
    for (const [key, hw] of written) this.#writtenHighWatermarks.set(key, hw);
    this.#highWatermarkEntryDropped = false;
  }

  /** Always durable: a recovery point is only worth something if it survives what it is for. */
  #writeRecoveryPoints(): void {
    this.#writtenRecoveryPoints = this.#write(
      this.#recoveryPoints,
      (log) => log.recoveryPointToCheckpoint(),
      true,
    );
    this.#recoveryPointsDue = false;
  }

  /** Writes `offsetOf` every open log to `file`; returns what it wrote by directory name. */
  #write(
    file: PartitionOffsetsCheckpoint,
    offsetOf: (log: PartitionLog) => number,
    durable: boolean,
  ): Map<string, number> {
    const entries: PartitionOffset[] = [];
    const written = new Map<string, number>();
    for (const [key, log] of this.logs) {
      const { topic, partition } = parsePartitionDirName(key)!;
      const offset = offsetOf(log);
      entries.push({ topic, partition, offset });
      written.set(key, offset);
    }
    file.write(entries, durable);
    return written;
  }
}
