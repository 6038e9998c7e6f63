/**
 * A small text file of entries, replaced atomically (Kafka's `CheckpointFile`).
 *
 * Format (UTF-8, one item a line):
 *
 * ```
 * 0            version
 * 2            number of entries
 * 0 0          entries: space-separated integers, as many per line as the file's kind uses
 * 3 1200
 * ```
 *
 * Write: the whole file goes to `<name>.tmp`, which is fsynced, renamed over `<name>`, and the
 * directory fsynced, so a reader finds either the old file or the new one, never a mix. A file
 * that fails to parse reads as absent: every checkpoint here is an optimisation or is rebuilt
 * from the log (the caller decides the fallback), never the only copy of data.
 *
 * Concurrency: synchronous; one writer per file (the owning PartitionLog).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TMP_SUFFIX } from './file-names';

const VERSION = 0;

export class CheckpointFile {
  constructor(
    readonly filePath: string,
    /** Integers on each entry line. */
    readonly fieldsPerEntry: number,
    /**
     * fsync the file and its directory on every write. Off for checkpoints that may lag or vanish
     * after a crash without harm (the high watermark: the leader recomputes it from its ISR and
     * followers learn it from the leader), because a synchronous fsync per partition every few
     * seconds stalls the event loop of a broker with thousands of partitions.
     */
    readonly durable = true,
  ) {}

  /** Replaces the file with `entries`, atomically (and durably, when `durable`). */
  write(entries: readonly (readonly number[])[], durable = this.durable): void {
    writeCheckpointLines(
      this.filePath,
      entries.map((e) => this.#line(e)),
      durable,
    );
  }

  #line(entry: readonly number[]): string {
    if (entry.length !== this.fieldsPerEntry)
      throw new RangeError(`checkpoint entry needs ${this.fieldsPerEntry} fields`);
    return entry.join(' ');
  }

  /**
   * `write(entries, true)` off the event loop (the file's fsyncs on libuv's pool), so a broker can
   * overlap the fsyncs of thousands of logs' files at shutdown. No other write of this file may
   * run meanwhile: both use the same `.tmp`.
   */
  writeAsync(entries: readonly (readonly number[])[]): Promise<void> {
    return replaceFileAsync(this.filePath, checkpointText(entries.map((e) => this.#line(e))));
  }

  /** The entries, or undefined if the file is absent or malformed. */
  read(): number[][] | undefined {
    const lines = readCheckpointLines(this.filePath);
    if (lines === undefined) return undefined;
    const entries: number[][] = [];
    for (const line of lines) {
      const fields = line.split(' ').map(Number);
      if (fields.length !== this.fieldsPerEntry || !fields.every(Number.isSafeInteger)) return undefined;
      entries.push(fields);
    }
    return entries;
  }
}

/** A checkpoint holding one offset (recovery point, high watermark). */
export class OffsetCheckpoint {
  readonly #file: CheckpointFile;
  constructor(filePath: string, options: { durable?: boolean } = {}) {
    this.#file = new CheckpointFile(filePath, 1, options.durable ?? true);
  }
  write(offset: number): void {
    this.#file.write([[offset]]);
  }
  read(): number | undefined {
    const entries = this.#file.read();
    return entries?.length === 1 ? entries[0]![0] : undefined;
  }
}

/** Writes a checkpoint file of this format (version, count, one line per entry), replaced atomically. */
export function writeCheckpointLines(filePath: string, entries: readonly string[], durable: boolean): void {
  replaceFile(filePath, checkpointText(entries), durable);
}

function checkpointText(entries: readonly string[]): string {
  return `${[String(VERSION), String(entries.length), ...entries].join('\n')}\n`;
}

/**
 * The entry lines of a checkpoint file of this format, or undefined if it is absent or its
 * version or count does not match.
 */
export function readCheckpointLines(filePath: string): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 2 || lines[0] !== String(VERSION)) return undefined;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) return undefined;
  return lines.slice(2);
}

/**
 * Replaces `filePath` with `text` atomically: written to `<name>.tmp`, renamed over the old file;
 * `durable` fsyncs the file before the rename and the directory after it.
 */
export function replaceFile(filePath: string, text: string, durable: boolean): void {
  const tmp = filePath + TMP_SUFFIX;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, text);
    if (durable) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, filePath);
  if (durable) fsyncDir(path.dirname(filePath));
}

/** `replaceFile(filePath, text, true)` off the event loop. */
async function replaceFileAsync(filePath: string, text: string): Promise<void> {
  const tmp = filePath + TMP_SUFFIX;
  const file = await fs.promises.open(tmp, 'w');
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  await fs.promises.rename(tmp, filePath);
  const dir = await fs.promises.open(path.dirname(filePath), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** fsyncs a directory so a rename, create or unlink in it is durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
