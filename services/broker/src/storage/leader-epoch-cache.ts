/**
 * Leader epoch -> first offset written in that epoch (Kafka's `LeaderEpochFileCache`, KIP-101/279).
 * A follower that becomes follower at a new epoch asks the leader `endOffsetForEpoch(itsLastEpoch)`
 * and truncates its log to the answer, so logs that diverged in an unclean leader change
 * converge instead of keeping different records at the same offsets.
 *
 * On disk: `leader-epoch-checkpoint`, a CheckpointFile of `<epoch> <startOffset>` lines, rewritten
 * atomically on every change (epoch changes are rare: once per leader election). A new epoch
 * (`assign`) is written without fsync, and made durable by `sync` when the log flushes (before
 * its recovery point moves), as Kafka does since KAFKA-15046: an epoch lost in a crash starts at
 * or above the recovery point, where recovery scans the batches and assigns their epochs again
 * (log-loader.ts). One fsync'd file and directory per partition made a broker taking the
 * leadership of 3,000 partitions block its event loop for tens of seconds (docs/scale.md).
 * Truncations are still written durably (rare, and what they drop must stay dropped).
 *
 * Invariants: epochs strictly increase and start offsets strictly increase along the entries.
 * Concurrency: synchronous; owned by one PartitionLog.
 */
import { CheckpointFile } from './checkpoint-file';

/** "No epoch" in an OffsetForLeaderEpoch answer (Kafka's UNDEFINED_EPOCH). */
export const UNDEFINED_EPOCH = -1;
/** "No offset" in an OffsetForLeaderEpoch answer (Kafka's UNDEFINED_EPOCH_OFFSET). */
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export class LeaderEpochCache {
  #entries: EpochEntry[];
  readonly #file: CheckpointFile | undefined;
  /** The file lags memory (a first epoch not yet written) or was written without fsync. */
  #unsynced = false;

  /** Loads the cache from `filePath` (or starts empty); without a path the cache is memory-only. */
  constructor(filePath?: string, read = true) {
    this.#file = filePath === undefined ? undefined : new CheckpointFile(filePath, 2);
    const loaded = (read ? this.#file?.read() : undefined) ?? [];
    this.#entries = [];
    for (const [epoch, startOffset] of loaded) this.#add({ epoch: epoch!, startOffset: startOffset! });
  }

  /** An empty cache for a file known not to exist yet (a new log): nothing is read. */
  static empty(filePath: string): LeaderEpochCache {
    return new LeaderEpochCache(filePath, false);
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  /** The latest epoch, or undefined when no epoch is known. */
  get latestEpoch(): number | undefined {
    return this.#entries.at(-1)?.epoch;
  }

  /**
   * Records that `epoch` starts at `startOffset`. An epoch already latest with a later start is a
   * no-op; entries that contradict the new one (a same-or-higher epoch, or a same-or-later start
   * offset) are removed first, as in Kafka.
   */
  assign(epoch: number, startOffset: number): void {
    const latest = this.#entries.at(-1);
    if (latest !== undefined && latest.epoch === epoch && startOffset >= latest.startOffset) return;
    this.#add({ epoch, startOffset });
    // The first epoch of an empty cache is only marked: written with the next change or at
    // `sync`. Lost in a crash, it loses nothing: the file held no epoch, and every batch of that
    // epoch lies above the recovery point (sync runs before it moves), where recovery reads the
    // batches and assigns their epochs again. A new partition thus costs no file write when it
    // gets its leader or its first records (a broker taking 10,000 new replicas wrote 10,000).
    if (this.#entries.length === 1 && latest === undefined) this.#unsynced = true;
    else this.#flush(false);
  }

  /** Writes and makes durable what `assign` left (the log is flushing); nothing to do when it is. */
  sync(): void {
    if (this.#unsynced) this.#flush();
  }

  /**
   * `sync` off the event loop (a broker's shutdown overlaps it over all its logs). The log is
   * closing: nothing else writes the file meanwhile.
   */
  async syncAsync(): Promise<void> {
    if (!this.#unsynced || this.#file === undefined) return;
    const entries = this.#entries;
    await this.#file.writeAsync(entries.map((e) => [e.epoch, e.startOffset]));
    if (this.#entries === entries) this.#unsynced = false;
  }

  /**
   * The OffsetForLeaderEpoch answer: the largest epoch <= `epoch` this log knows and the offset
   * where the next epoch started (the log end offset if that epoch is the latest).
   */
  endOffsetFor(epoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH || this.#entries.length === 0) return undefinedAnswer;
    const latest = this.#entries.at(-1)!;
    if (epoch === latest.epoch) return { epoch, endOffset: logEndOffset };
    const higherIndex = this.#entries.findIndex((e) => e.epoch > epoch);
    if (higherIndex === -1) return undefinedAnswer; // newer than anything we know
    const higher = this.#entries[higherIndex]!;
    if (higherIndex === 0) return { epoch, endOffset: higher.startOffset }; // older than anything we know
    return { epoch: this.#entries[higherIndex - 1]!.epoch, endOffset: higher.startOffset };
  }

  /** Drops entries that start at or after `endOffset` (the log was truncated to it). */
  truncateFromEnd(endOffset: number): void {
    const keep = this.#entries.filter((e) => e.startOffset < endOffset);
    if (keep.length === this.#entries.length) return;
    this.#entries = keep;
    this.#flush();
  }

  /**
   * The log now starts at `startOffset` (retention): entries wholly before it are dropped, and the
   * epoch in force at `startOffset` is kept, moved up to start there.
   */
  truncateFromStart(startOffset: number): void {
    let lastBefore = -1;
    for (let i = 0; i < this.#entries.length && this.#entries[i]!.startOffset <= startOffset; i++)
      lastBefore = i;
    if (lastBefore < 0) return;
    const carried = this.#entries[lastBefore]!;
    if (lastBefore === 0 && carried.startOffset === startOffset) return;
    this.#entries = [{ epoch: carried.epoch, startOffset }, ...this.#entries.slice(lastBefore + 1)];
    this.#flush();
  }

  /** Forgets every epoch (the log was emptied). */
  clear(): void {
    if (this.#entries.length === 0) return;
    this.#entries = [];
    this.#flush();
  }

  /** Appends after removing contradicting entries. */
  #add(entry: EpochEntry): void {
    if (!Number.isSafeInteger(entry.epoch) || entry.epoch < 0 || !Number.isSafeInteger(entry.startOffset)) {
      throw new RangeError(`invalid epoch entry ${entry.epoch}@${entry.startOffset}`);
    }
    this.#entries = this.#entries.filter((e) => e.epoch < entry.epoch && e.startOffset < entry.startOffset);
    this.#entries.push(entry);
  }

  #flush(durable = true): void {
    if (this.#file === undefined) return;
    this.#file.write(
      this.#entries.map((e) => [e.epoch, e.startOffset]),
      durable,
    );
    this.#unsynced = !durable;
  }
}
