/**
 * All partition logs of a broker under one data directory (Kafka's `LogManager`).
 *
 * At start it opens every `<topic>-<partition>` directory in parallel (a bounded pool; recovery
 * reads are async so one log's I/O overlaps another's CRC checks), removes leftovers of deleted
 * logs (`*-delete`), and reports how long recovery took, per log and in total. Then timers run
 * retention, flush (`flush.ms`) and checkpoints until `stop`. What its logs share on disk (high
 * watermarks, recovery points, the clean-shutdown marker) is in files of the data directory, as
 * in Kafka (data-dir-checkpoints.ts).
 *
 * A clean shutdown is the fsyncs of what is not on disk yet, overlapped over the logs, and a
 * handful for the data directory's files. Before, each log's close fsynced its index files, its
 * own recovery-point file and marker and their directory, ~6 fsyncs a log one after another:
 * 27-81 s for a broker holding 10,000 logs (docs/storage.md has the figures).
 *
 * Concurrency: one LogManager per data directory per process. Timers only call the logs'
 * synchronous maintenance methods or their async flush, which never races an append (see
 * partition-log.ts). `getOrCreate` for the same partition twice concurrently returns one log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '@tributary/topic-config';
import { forEachConcurrently } from '../for-each-concurrently';
import { type Clock, systemClock } from './clock';
import { DataDirCheckpoints, type StartupFiles } from './data-dir-checkpoints';
import { isDeletedDirName, parsePartitionDirName, partitionDirName } from './file-names';
import type { RecoveryReport } from './log-loader';
import { PartitionLog } from './partition-log';
import type { ProducerStateLoad } from './producer-state-loader';

/** Logs flushing at once at shutdown (their fsyncs queue on libuv's pool; more only queue longer). */
const SHUTDOWN_FLUSH_CONCURRENCY = 64;

export interface LogManagerOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Config of a topic's logs; undefined means the default. Asked at start and on create. */
  readonly configFor?: (topic: string) => LogConfig | undefined;
  readonly defaultConfig?: LogConfig;
  /** Logs opened at once at start. @default 8 */
  readonly recoveryConcurrency?: number;
  /** How often retention runs. @default 300000 (Kafka's log.retention.check.interval.ms) */
  readonly retentionCheckIntervalMs?: number;
  /** How often logs are checked against flush.ms. @default 1000 */
  readonly flushCheckIntervalMs?: number;
  /** How often high watermarks are checkpointed. @default 5000 */
  readonly highWatermarkCheckpointIntervalMs?: number;
  /** Errors of background work; defaults to a process warning. */
  readonly onBackgroundError?: (err: unknown) => void;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** How opening one log went. */
export interface LogStartup extends TopicPartition {
  readonly report: RecoveryReport;
  readonly producerState: ProducerStateLoad;
}

export interface StartupReport {
  /** Wall time to open every log, in milliseconds. */
  readonly totalMs: number;
  /** The data directory's clean-shutdown marker was found: no log was scanned. */
  readonly cleanShutdown: boolean;
  readonly logs: readonly LogStartup[];
  /** Leftover directories of deleted logs removed. */
  readonly removedDeletedDirs: number;
}

/** How `stop` went. */
export interface ShutdownReport {
  /** Wall time to flush and close every log and write the data directory's files, in ms. */
  readonly ms: number;
  readonly logs: number;
  /** The clean-shutdown marker was written (every log flushed and closed, nothing failed). */
  readonly clean: boolean;
}

export class LogManager {
  readonly dataDir: string;
  readonly #clock: Clock;
  readonly #options: LogManagerOptions;
  readonly #logs = new Map<string, Promise<PartitionLog>>();
  readonly #opened = new Map<string, PartitionLog>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #onBackgroundError: (err: unknown) => void;
  readonly #files: DataDirCheckpoints;
  /** What the data directory's files said at start, for the logs opened then; cleared after. */
  #startup: StartupFiles | undefined;
  #recoveryPointWriteScheduled = false;
  /** A log failed to open: its directory was never recovered, so no clean-shutdown marker. */
  #openFailed = false;
  /**
   * Logs that may hold data not yet fsynced: added on append, dropped by `runFlush` once flushed,
   * so the flush check follows the logs written to rather than every log held.
   */
  readonly #unflushed = new Set<PartitionLog>();
  #stopped = false;

  constructor(options: LogManagerOptions) {
    this.dataDir = options.dataDir;
    this.#clock = options.clock ?? systemClock;
    this.#options = options;
    this.#onBackgroundError =
      options.onBackgroundError ?? ((err) => process.emitWarning(`log manager: ${String(err)}`));
    this.#files = new DataDirCheckpoints(this.dataDir, this.#opened, () => {
      // One write for every roll flushed in this turn of the event loop, right after them: a
      // kill -9 then rescans only the segments written since (as when each log wrote its own).
      if (this.#recoveryPointWriteScheduled) return;
      this.#recoveryPointWriteScheduled = true;
      setImmediate(() => {
        this.#recoveryPointWriteScheduled = false;
        if (!this.#stopped) this.checkpointRecoveryPoints();
      });
    });
  }

  /** Opens every log under the data directory and starts the maintenance timers. */
  async start(): Promise<StartupReport> {
    const started = performance.now();
    fs.mkdirSync(this.dataDir, { recursive: true });
    const entries = fs.readdirSync(this.dataDir, { withFileTypes: true }).filter((e) => e.isDirectory());
    let removedDeletedDirs = 0;
    for (const e of entries) {
      if (isDeletedDirName(e.name)) {
        await fs.promises.rm(path.join(this.dataDir, e.name), { recursive: true, force: true });
        removedDeletedDirs++;
      }
    }
    const partitions = entries.flatMap((e) => parsePartitionDirName(e.name) ?? []);
    this.#startup = this.#files.readAtStart();
    const { cleanShutdown } = this.#startup;
    const logs: LogStartup[] = [];
    const concurrency = Math.max(1, this.#options.recoveryConcurrency ?? 8);
    await forEachConcurrently(partitions, concurrency, async (tp) => {
      const log = await this.getOrCreate(tp.topic, tp.partition);
      logs.push({ ...tp, report: log.recoveryReport, producerState: log.producerStateLoad });
    });
    logs.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    this.#startup = undefined;
    if (partitions.length > 0) this.#files.writeAfterStart();
    this.#startTimers();
    return { totalMs: performance.now() - started, cleanShutdown, logs, removedDeletedDirs };
  }

  /**
   * One line's worth of a start-up report, for the broker's log: where opening the logs spent
   * its time (summed over logs, which open in parallel, so the sums can exceed the wall time).
   */
  static summarize(report: StartupReport): Record<string, number> {
    let recoveredSegments = 0;
    let rebuiltIndexes = 0;
    let truncations = 0;
    let uncleanLogs = 0;
    let recoveryMs = 0;
    let producerStateMs = 0;
    let fromSnapshot = 0;
    let batchesScanned = 0;
    for (const l of report.logs) {
      if (!l.report.cleanShutdown) uncleanLogs++;
      recoveredSegments += l.report.recoveredSegments;
      rebuiltIndexes += l.report.rebuiltIndexes.length;
      truncations += l.report.truncations.length;
      recoveryMs += l.report.durationMs;
      producerStateMs += l.producerState.durationMs;
      if (l.producerState.snapshotOffset !== undefined) fromSnapshot++;
      batchesScanned += l.producerState.batchesScanned;
    }
    return {
      logs: report.logs.length,
      ms: Math.round(report.totalMs),
      uncleanLogs,
      recoveredSegments,
      rebuiltIndexes,
      truncations,
      recoveryMs: Math.round(recoveryMs),
      producerStateMs: Math.round(producerStateMs),
      producerStateFromSnapshot: fromSnapshot,
      producerStateBatchesScanned: batchesScanned,
    };
  }

  /** The log of a partition this broker holds, if open. */
  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#opened.get(partitionDirName(topic, partition));
  }

  /** Opens the partition's log, creating an empty one if it has no directory yet. */
  getOrCreate(topic: string, partition: number, config?: LogConfig): Promise<PartitionLog> {
    if (this.#stopped) return Promise.reject(new Error('log manager is stopped'));
    const key = partitionDirName(topic, partition);
    let pending = this.#logs.get(key);
    if (pending === undefined) {
      if (this.#startup === undefined) this.#files.beforeCreate(key);
      pending = PartitionLog.open({
        dir: path.join(this.dataDir, key),
        config: config ?? this.#configFor(topic),
        clock: this.#clock,
        onBackgroundError: this.#onBackgroundError,
        onRecoveryPointChange: (log, change) => this.#files.recoveryPointChanged(key, log, change),
        cleanShutdown: this.#startup?.cleanShutdown,
        checkpointedHighWatermark: this.#startup?.highWatermarks?.get(key),
        checkpointedRecoveryPoint: this.#startup?.recoveryPoints?.get(key),
      }).then((log) => {
        this.#opened.set(key, log);
        log.onAppend(() => this.#unflushed.add(log));
        if (log.logEndOffset > log.recoveryPoint) this.#unflushed.add(log);
        return log;
      });
      pending.catch(() => {
        this.#logs.delete(key);
        this.#openFailed = true;
      });
      this.#logs.set(key, pending);
    }
    return pending;
  }

  /** Every open log. */
  all(): { topic: string; partition: number; log: PartitionLog }[] {
    return [...this.#opened].map(([key, log]) => ({ ...parsePartitionDirName(key)!, log }));
  }

  /** Applies a topic's new config to its open logs. */
  updateTopicConfig(topic: string, config: LogConfig): void {
    for (const e of this.all()) if (e.topic === topic) e.log.updateConfig(config);
  }

  /** Closes and removes a partition's log and directory (topic deleted, or replica moved away). */
  async delete(topic: string, partition: number): Promise<void> {
    const key = partitionDirName(topic, partition);
    const pending = this.#logs.get(key);
    if (pending === undefined) return;
    this.#logs.delete(key);
    this.#opened.delete(key);
    this.#files.deleted(key);
    const log = await pending;
    this.#unflushed.delete(log);
    await log.delete();
  }

  /** Runs retention on every log now; returns the number of segments deleted. */
  runRetention(): number {
    let deleted = 0;
    for (const log of this.#opened.values()) {
      try {
        deleted += log.applyRetention();
      } catch (err) {
        this.#onBackgroundError(err);
      }
    }
    return deleted;
  }

  /**
   * Flushes every log whose `flush.ms` has passed. Runs every second, over the logs appended to
   * since their last flush only (an idle broker with 10,000 logs walked all of them every second:
   * the largest part of its idle CPU left, docs/scale.md); only due logs get a promise.
   */
  async runFlush(): Promise<void> {
    const due: Promise<void>[] = [];
    for (const log of this.#unflushed) {
      if (log.isFlushDue()) due.push(log.flushAsync().catch((err) => this.#onBackgroundError(err)));
      else if (log.logEndOffset <= log.recoveryPoint) this.#unflushed.delete(log);
    }
    await Promise.all(due);
  }

  /** How many logs the flush check looks at (those that may hold unflushed data). */
  get unflushedLogs(): number {
    return this.#unflushed.size;
  }

  /**
   * Rewrites the data directory's high-watermark checkpoint if any log's high watermark moved, or
   * a log came or went, since the last write (one comparison per log otherwise).
   */
  checkpointHighWatermarks(): void {
    try {
      this.#files.checkpointHighWatermarks();
    } catch (err) {
      this.#onBackgroundError(err);
    }
  }

  /** Rewrites the data directory's recovery-point checkpoint if a recovery point passed a segment's end. */
  checkpointRecoveryPoints(): void {
    try {
      this.#files.checkpointRecoveryPoints();
    } catch (err) {
      this.#onBackgroundError(err);
    }
  }

  /**
   * Stops the timers, flushes and closes every log, writes the data directory's checkpoints and,
   * if every log was flushed and closed, the clean-shutdown marker (so the next start scans
   * nothing). The logs' fsyncs run off the event loop, many logs at once. Idempotent.
   */
  async stop(): Promise<ShutdownReport> {
    const started = performance.now();
    if (this.#stopped) return { ms: 0, logs: 0, clean: false };
    this.#stopped = true;
    for (const t of this.#timers.splice(0)) clearInterval(t);
    const settled = await Promise.allSettled(this.#logs.values());
    const logs = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    let clean = !this.#openFailed && logs.length === settled.length;
    await forEachConcurrently(logs, SHUTDOWN_FLUSH_CONCURRENCY, async (log) => {
      // A failure here only warns: `close` fsyncs again whatever is left, and its failure counts.
      await log.flushBeforeClose().catch((err) => this.#onBackgroundError(err));
      // Closed at once, not after every log flushed: 10,000 logs holding their index files open
      // until then ran out of file descriptors (EMFILE at a limit of 20,000).
      try {
        log.close();
      } catch (err) {
        clean = false;
        this.#onBackgroundError(err);
      }
    });
    try {
      clean = this.#files.writeAtShutdown(clean);
    } catch (err) {
      clean = false;
      this.#onBackgroundError(err);
    }
    this.#logs.clear();
    this.#opened.clear();
    return { ms: performance.now() - started, logs: logs.length, clean };
  }

  #configFor(topic: string): LogConfig {
    return this.#options.configFor?.(topic) ?? this.#options.defaultConfig ?? DEFAULT_LOG_CONFIG;
  }

  #startTimers(): void {
    const every = (ms: number, task: () => unknown): void => {
      const t = setInterval(() => {
        if (!this.#stopped) task();
      }, ms);
      t.unref();
      this.#timers.push(t);
    };
    every(this.#options.retentionCheckIntervalMs ?? 300_000, () => this.runRetention());
    every(this.#options.flushCheckIntervalMs ?? 1000, () => this.runFlush());
    every(this.#options.highWatermarkCheckpointIntervalMs ?? 5000, () => this.checkpointHighWatermarks());
  }
}
