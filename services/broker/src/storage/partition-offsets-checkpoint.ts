/**
 * One offset for every partition log of a data directory, in one file (Kafka's
 * `OffsetCheckpointFile`). Two files of this kind live in a data directory:
 * `replication-offset-checkpoint` (each log's high watermark) and `recovery-point-offset-checkpoint`
 * (each log's recovery point: everything below it is on disk).
 *
 * Format (UTF-8, one item a line; Kafka's, with the topic and partition of each entry):
 *
 * ```
 * 0              version
 * 2              number of entries
 * orders 0 1200  entries: <topic> <partition> <offset>
 * orders 1 977
 * ```
 *
 * Topic names never hold a space ([a-zA-Z0-9._-]), so a space separates the fields.
 *
 * Why one file rather than one per partition (the layout before): a broker checkpointed each
 * moved high watermark every 5 s with an open, write and rename of its own file; after a
 * 10,000-partition topic was created that was 30-45 % of a broker's CPU for the next 20 s (every
 * new log's first checkpoint), and 10,000 files again at each clean shutdown. The per-log
 * recovery-point files cost two fsyncs each at every clean shutdown (docs/storage.md). One file
 * costs one write of a few hundred kilobytes at most, whatever the number of partitions.
 *
 * Durability: written whole to `<name>.tmp` and renamed over the old file, so a reader finds the
 * old file or the new one; `durable` fsyncs the file before the rename and the directory after.
 * A file that fails to parse reads as absent (the caller falls back to something safe: the
 * log start offset for a high watermark, a scan of the whole log for a recovery point).
 *
 * Concurrency: synchronous; one writer per file (the data directory's LogManager).
 */
import { readCheckpointLines, writeCheckpointLines } from './checkpoint-file';
import { partitionDirName } from './file-names';

const ENTRY = /^(\S+) (\d+) (\d+)$/;

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export class PartitionOffsetsCheckpoint {
  constructor(readonly filePath: string) {}

  /** Replaces the file with `entries`, atomically; `durable` also fsyncs it and its directory. */
  write(entries: readonly PartitionOffset[], durable: boolean): void {
    const lines = entries.map((e) => {
      if (/\s/.test(e.topic)) throw new RangeError(`topic name with white space: ${JSON.stringify(e.topic)}`);
      return `${e.topic} ${e.partition} ${e.offset}`;
    });
    writeCheckpointLines(this.filePath, lines, durable);
  }

  /**
   * Offsets by partition directory name (`<topic>-<partition>`), or undefined if the file is
   * absent or malformed.
   */
  read(): Map<string, number> | undefined {
    const lines = readCheckpointLines(this.filePath);
    if (lines === undefined) return undefined;
    const offsets = new Map<string, number>();
    for (const line of lines) {
      const m = ENTRY.exec(line);
      if (m === null) return undefined;
      const partition = Number(m[2]);
      const offset = Number(m[3]);
      if (!Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) return undefined;
      offsets.set(partitionDirName(m[1]!, partition), offset);
    }
    return offsets;
  }
}
