/**
 * The high watermark of every partition log in a data directory, in one file (Kafka's
 * `replication-offset-checkpoint`).
 *
 * Format (UTF-8, one item a line; Kafka's, with the topic and partition of each entry):
 *
 * ```
 * 0              version
 * 2              number of entries
 * orders 0 1200  entries: <topic> <partition> <high watermark>
 * orders 1 977
 * ```
 *
 * Topic names never hold a space ([a-zA-Z0-9._-]), so a space separates the fields.
 *
 * Why one file rather than one per partition (the layout before): a broker checkpointed each
 * moved high watermark every 5 s with an open, write and rename of its own file; after a
 * 10,000-partition topic was created that was 30-45 % of a broker's CPU for the next 20 s (every
 * new log's first checkpoint), and 10,000 files again at each clean shutdown. One file costs one
 * write of a few hundred kilobytes at most, whatever the number of partitions that moved.
 *
 * Durability: written whole to `<name>.tmp` and renamed over the old file, so a reader finds the
 * old file or the new one. Not fsynced on the periodic write: a high watermark may lag or vanish
 * after a crash without harm (the leader recomputes it from its ISR, followers learn it from the
 * leader). A file that fails to parse reads as absent (every log then starts from its legacy
 * file, or its log start offset).
 *
 * Concurrency: synchronous; one writer (the data directory's LogManager).
 */
import { readCheckpointLines, writeCheckpointLines } from './checkpoint-file';
import { partitionDirName } from './file-names';

const ENTRY = /^(\S+) (\d+) (\d+)$/;

export interface HighWatermarkEntry {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
}

export class ReplicationOffsetCheckpoint {
  constructor(readonly filePath: string) {}

  /** Replaces the file with `entries`, atomically; `durable` also fsyncs it (clean shutdown). */
  write(entries: readonly HighWatermarkEntry[], durable = false): void {
    const lines = entries.map((e) => {
      if (/\s/.test(e.topic)) throw new RangeError(`topic name with white space: ${JSON.stringify(e.topic)}`);
      return `${e.topic} ${e.partition} ${e.highWatermark}`;
    });
    writeCheckpointLines(this.filePath, lines, durable);
  }

  /**
   * High watermarks by partition directory name (`<topic>-<partition>`), or undefined if the file
   * is absent or malformed.
   */
  read(): Map<string, number> | undefined {
    const lines = readCheckpointLines(this.filePath);
    if (lines === undefined) return undefined;
    const highWatermarks = new Map<string, number>();
    for (const line of lines) {
      const m = ENTRY.exec(line);
      if (m === null) return undefined;
      const partition = Number(m[2]);
      const highWatermark = Number(m[3]);
      if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(highWatermark)) return undefined;
      highWatermarks.set(partitionDirName(m[1]!, partition), highWatermark);
    }
    return highWatermarks;
  }
}
