/**
 * Per-partition consumer state: the position (next offset to hand to the application), the
 * consumed position (what a commit would store), and the fetched batches not yet delivered.
 * Delivery takes records from the head batch, decoding it then (not when fetched: records that
 * wait in the prefetch would outlive young-generation collections and be copied twice, and one
 * held by a long-lived batch keeps it alive until a full collection); a batch's prefetch bytes go
 * back to the source once its records have all been handed out or it is dropped.
 */
import { TributaryError } from '@tributary/errors';
import type { DecodedRecord } from '@tributary/record-batch';
import type { SourceBatch } from './record-source';

export class PartitionQueue {
  /** The partition's key in PartitionSet (`tpKey`), made once: it is looked up per delivery. */
  readonly key: string;
  /** Offset of the next record to deliver. */
  position: number;
  /** Offset after the last record the application finished with: what a commit stores. */
  consumed: number;
  /** The last committed (or initial) position, to skip no-op commits. */
  committed: number;
  /** Where the source was last told to read from; batches read elsewhere are stale. */
  expectedFetch: number;
  leaderEpoch = -1;
  highWatermark = -1;
  paused = false;
  /** A handler is processing records of this partition (run() never overlaps one partition). */
  busy = false;
  /** Bumped by every seek, so a handler's caller can tell the position moved under it. */
  seeks = 0;
  private readonly batches: SourceBatch[] = [];
  /** The head batch's records, kept only while it is handed out a few at a time. */
  private headRecords: DecodedRecord[] | undefined;
  private index = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    offset: number,
    committed: number,
  ) {
    this.key = `${topic}\u0000${partition}`;
    this.position = offset;
    this.consumed = offset;
    this.committed = committed;
    this.expectedFetch = offset;
  }

  /** Accepts a batch if it continues where the source was told to read; else it is stale. */
  accept(batch: SourceBatch): boolean {
    if (batch.fetchOffset !== this.expectedFetch) return false;
    this.expectedFetch = batch.nextOffset;
    this.highWatermark = batch.highWatermark;
    this.batches.push(batch);
    return true;
  }

  /** True when a record at or after the position is waiting. */
  hasRecords(): boolean {
    this.skipStale(() => {});
    return this.batches.length > 0;
  }

  /**
   * Takes up to `max` records from the position on, advancing the position; `released` gets the
   * bytes of batches emptied. After the head batch, whole batches that follow are taken too while
   * fewer than `fill` records are out and the leader epoch stays the same (a message's epoch is
   * its queue's): keyed data over thousands of partitions arrives as one-record batches, and one
   * handler call per batch was most of a consumer's cost per record there (docs/scale.md, fifth
   * round). Throws CorruptMessageError when the head batch does not decode; the batch stays, and
   * the position with it (the caller seeks). A later batch that does not decode is left at the
   * head, for the next take to throw.
   */
  take(max: number, released: (batch: SourceBatch) => void, fill = 0): DecodedRecord[] {
    const first = this.#takeBatch(max, released);
    const limit = Math.min(max, fill);
    if (first.length === 0 || first.length >= limit || !this.#wholeNextFits(released)) return first;
    const out = first.slice();
    do {
      let more: DecodedRecord[];
      try {
        more = this.#takeBatch(max - out.length, released);
      } catch (err) {
        if (err instanceof TributaryError) break;
        throw err;
      }
      for (const r of more) out.push(r);
    } while (out.length < limit && this.#wholeNextFits(released));
    return out;
  }

  /** True when the next batch can join the records taken: none of it handed out, same epoch. */
  #wholeNextFits(released: (batch: SourceBatch) => void): boolean {
    this.skipStale(released);
    const next = this.batches[0];
    return next !== undefined && this.headRecords === undefined && next.leaderEpoch === this.leaderEpoch;
  }

  /** Up to `max` records of the head batch (one batch at most). */
  #takeBatch(max: number, released: (batch: SourceBatch) => void): DecodedRecord[] {
    this.skipStale(released);
    const head = this.batches[0];
    if (head === undefined) return [];
    let records = this.headRecords;
    if (records === undefined) {
      records = head.decode();
      if (records.length > 0 && max >= records.length && records[0]!.offset >= this.position) {
        // The whole batch from its first record (offsets ascend): hand it on without a copy.
        this.position = records[records.length - 1]!.offset + 1;
        this.leaderEpoch = head.leaderEpoch;
        this.#release(head, released);
        return records;
      }
      this.headRecords = records;
      this.index = 0;
    }
    const out: DecodedRecord[] = [];
    while (this.index < records.length && out.length < max) {
      const r = records[this.index++]!;
      if (r.offset < this.position) continue;
      out.push(r);
      this.position = r.offset + 1;
      this.leaderEpoch = head.leaderEpoch;
    }
    if (this.index >= records.length) this.#release(head, released);
    return out;
  }

  /** The head batch is all delivered: drop it and give its bytes back. */
  #release(head: SourceBatch, released: (batch: SourceBatch) => void): void {
    this.batches.shift();
    this.headRecords = undefined;
    this.index = 0;
    if (this.position < head.nextOffset && this.batches.length === 0) this.position = head.nextOffset;
    released(head);
  }

  /** Drops every fetched batch (after a seek, pause or revoke); returns their bytes to `released`. */
  clear(released: (batch: SourceBatch) => void): void {
    for (const b of this.batches) released(b);
    this.batches.length = 0;
    this.headRecords = undefined;
    this.index = 0;
  }

  /** Moves the position; fetched batches are dropped and the source must be told. */
  seek(offset: number, released: (batch: SourceBatch) => void): void {
    this.clear(released);
    this.seeks++;
    this.position = offset;
    this.consumed = offset;
    this.expectedFetch = offset;
  }

  /** Drops head batches that end at or below the position (a seek moved past them). */
  private skipStale(released: (batch: SourceBatch) => void): void {
    while (this.batches.length > 0 && this.batches[0]!.nextOffset <= this.position) {
      const head = this.batches.shift()!;
      this.headRecords = undefined;
      this.index = 0;
      released(head);
    }
  }
}
