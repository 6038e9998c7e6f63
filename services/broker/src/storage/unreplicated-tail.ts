/**
 * The leader's latest append, kept in memory until the high watermark passes it, so the
 * followers' next ReplicaFetch reads it without a pread.
 *
 * Why: when keys spread records over thousands of partitions every batch is one or two records,
 * and each one cost the leader a pread and a fresh buffer per follower fetch on top of its write
 * (the `read` syscall and its buffer were a tenth of the brokers' CPU in bench:scale's keyed case
 * at 10,000 partitions, docs/scale.md). A follower that keeps up asks for exactly the offset
 * where the leader's latest append starts.
 *
 * Bounded: only appends of at most MAX_BYTES are kept (a large batch amortises its read), as a
 * copy (a reference would keep the whole produce request alive), and dropped once the high
 * watermark covers them, so what stays is what the ISR has not fetched yet: nothing on an idle
 * broker, at most MAX_BYTES per led partition while a follower lags.
 */
import type { ReadBatches } from './partition-reader';

const MAX_BYTES = 16 * 1024;

export class UnreplicatedTail {
  #bytes: Buffer | undefined;
  #baseOffset = -1;
  #endOffset = -1;
  #batches = 0;

  /** `batches` batches [baseOffset, endOffset) were appended as `bytes` (offsets stamped, as stored). */
  appended(bytes: Buffer, baseOffset: number, endOffset: number, batches: number): void {
    if (bytes.length > MAX_BYTES) {
      this.forget();
      return;
    }
    this.#bytes = Buffer.from(bytes);
    this.#baseOffset = baseOffset;
    this.#endOffset = endOffset;
    this.#batches = batches;
  }

  /** The high watermark moved: the ISR holds everything below it. */
  committed(highWatermark: number): void {
    if (this.#bytes !== undefined && highWatermark >= this.#endOffset) this.forget();
  }

  /** The log changed under it (truncation, a follower append): the bytes may no longer be the log's. */
  forget(): void {
    this.#bytes = undefined;
  }

  /**
   * The kept bytes for a read at `offset` of a log ending at `logEndOffset`, when they are exactly
   * what the log would return: they start at `offset`, end at the log end, fit `maxBytes` (or are
   * the one batch a read returns whole) and are all below `maxOffset`. Otherwise undefined: read
   * the segments.
   */
  read(offset: number, maxBytes: number, maxOffset: number, logEndOffset: number): ReadBatches | undefined {
    const bytes = this.#bytes;
    if (
      bytes === undefined ||
      offset !== this.#baseOffset ||
      this.#endOffset !== logEndOffset ||
      maxOffset < this.#endOffset ||
      (bytes.length > maxBytes && this.#batches > 1)
    )
      return undefined;
    return { bytes, nextOffset: this.#endOffset };
  }
}
