/**
 * Idempotent-producer state of one partition (Kafka's `ProducerStateManager`):
 * per producer id, its epoch and the sequence ranges and offsets of its last
 * {@link MAX_CACHED_BATCHES} batches.
 *
 * Rules, applied to each batch whose producerId >= 0 before it is appended:
 * - an epoch older than the one known fails with INVALID_PRODUCER_EPOCH;
 * - a newer epoch must start at sequence 0 (the producer reset its sequences);
 * - a batch whose [first, last] sequence equals one of the cached batches is a duplicate of an
 *   append that already happened (a retry whose first answer was lost): it is not appended, and
 *   the answer carries the original base offset;
 * - otherwise the first sequence must follow the last cached one (mod 2^31), else
 *   OUT_OF_ORDER_SEQUENCE (a gap: an earlier batch was lost, never appended).
 * A producer id with no state (new, or every batch of it deleted by retention) is accepted at any
 * sequence.
 *
 * The PartitionLog owns it and keeps it current on every append, leader and follower path alike,
 * so a new leader deduplicates retries of batches the old leader appended. On open and after a
 * truncation it is loaded from the latest snapshot at or below the log end offset
 * (producer-snapshot-file.ts) and brought up to date by walking the batch headers after it —
 * from the log start when there is no usable snapshot. Producers whose newest batch is below the
 * log start offset are forgotten (retention deleted them), as a scan from the log start would.
 */
import { TributaryError } from '@tributary/errors';
import type { BatchHeader } from '@tributary/record-batch';
import type { ProducerSnapshotEntry } from './producer-snapshot-file';

/** How many batches per producer are remembered for duplicate detection (Kafka's 5 in flight). */
export const MAX_CACHED_BATCHES = 5;
const INT32_MAX = 0x7fffffff;

interface CachedBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
}

/** The outcome of checking one batch. */
export type SequenceCheck = { readonly duplicateOf?: number };

export class ProducerStateManager {
  readonly #producers = new Map<number, ProducerEntry>();

  /** Number of producer ids with state. */
  get size(): number {
    return this.#producers.size;
  }

  /**
   * Checks a batch against the state without changing it: `{}` to append,
   * `{ duplicateOf: baseOffset }` for a duplicate; throws INVALID_PRODUCER_EPOCH or
   * OUT_OF_ORDER_SEQUENCE.
   */
  check(header: BatchHeader): SequenceCheck {
    if (header.producerId < 0) return {};
    const entry = this.#producers.get(header.producerId);
    if (entry === undefined) return {};
    const firstSeq = header.baseSequence;
    const lastSeq = lastSequence(header);
    if (header.producerEpoch < entry.epoch) {
      throw new TributaryError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${header.producerId} epoch ${header.producerEpoch} is older than the current ${entry.epoch}`,
      );
    }
    if (header.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) {
        throw new TributaryError(
          'OUT_OF_ORDER_SEQUENCE',
          `producer ${header.producerId} at new epoch ${header.producerEpoch} must start at sequence 0, not ${firstSeq}`,
        );
      }
      return {};
    }
    for (const b of entry.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { duplicateOf: b.baseOffset };
    }
    const last = entry.batches.at(-1);
    if (last !== undefined) {
      const expected = last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1;
      if (firstSeq !== expected) {
        throw new TributaryError(
          'OUT_OF_ORDER_SEQUENCE',
          `producer ${header.producerId} epoch ${header.producerEpoch}: expected sequence ${expected}, got ${firstSeq}`,
        );
      }
    }
    return {};
  }

  /** Records an appended batch (leader or follower path). */
  update(header: BatchHeader, baseOffset: number): void {
    if (header.producerId < 0 || header.baseSequence < 0) return;
    let entry = this.#producers.get(header.producerId);
    if (entry === undefined || header.producerEpoch > entry.epoch) {
      entry = { epoch: header.producerEpoch, batches: [] };
      this.#producers.set(header.producerId, entry);
    } else if (header.producerEpoch < entry.epoch) {
      return;
    }
    entry.batches.push({ firstSeq: header.baseSequence, lastSeq: lastSequence(header), baseOffset });
    if (entry.batches.length > MAX_CACHED_BATCHES) entry.batches.shift();
  }

  /** Forgets every producer. */
  clear(): void {
    this.#producers.clear();
  }

  /** Forgets producers whose newest batch starts below `logStartOffset` (deleted by retention). */
  removeBefore(logStartOffset: number): void {
    for (const [id, entry] of this.#producers) {
      if ((entry.batches.at(-1)?.baseOffset ?? -1) < logStartOffset) this.#producers.delete(id);
    }
  }

  /** The state, for a snapshot. */
  entries(): ProducerSnapshotEntry[] {
    const out: ProducerSnapshotEntry[] = [];
    for (const [producerId, e] of this.#producers) {
      if (e.batches.length > 0) out.push({ producerId, epoch: e.epoch, batches: e.batches });
    }
    return out;
  }

  /** Replaces the state with a snapshot's entries. */
  load(entries: readonly ProducerSnapshotEntry[]): void {
    this.#producers.clear();
    for (const e of entries) {
      this.#producers.set(e.producerId, {
        epoch: e.epoch,
        batches: e.batches.slice(-MAX_CACHED_BATCHES).map((b) => ({ ...b })),
      });
    }
  }
}

function lastSequence(header: BatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > INT32_MAX ? last - INT32_MAX - 1 : last;
}
