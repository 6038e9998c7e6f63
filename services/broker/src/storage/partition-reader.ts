/**
 * The contract of a partition log as its users see it (liftbridge's `commitlog` interface):
 * `PartitionReader` is all a fetch handler needs — depend on it, not on PartitionLog.
 */

/** What an append wrote. */
export interface AppendInfo {
  /** Offset of the first record written. */
  readonly baseOffset: number;
  /** Offset of the last record written. */
  readonly lastOffset: number;
  /** The broker time stamped into the batches for a LogAppendTime topic, else -1. */
  readonly logAppendTime: number;
  readonly recordCount: number;
}

/** Whole batches read from a log. */
export interface ReadBatches {
  readonly bytes: Buffer;
  /** The offset after the last batch in `bytes`; the offset asked for when `bytes` is empty. */
  readonly nextOffset: number;
}

/** The read side of a partition log. */
export interface PartitionReader {
  /** First offset still in the log (moves forward with retention). */
  readonly logStartOffset: number;
  /** Offset the next appended record gets; every offset below it is readable. */
  readonly logEndOffset: number;
  /** Offset below which records are replicated to the ISR: consumers read only below it. */
  readonly highWatermark: number;
  /**
   * Stored bytes of whole batches from the one containing `offset`; `maxBytes` soft (the first
   * batch always whole); no batch starting at or beyond `maxOffset`. Empty at the log end;
   * OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, maxOffset?: number): Buffer;
  /** `read`, with the offset after the last batch returned, so no caller re-walks the headers. */
  readBatches(offset: number, maxBytes: number, maxOffset?: number): ReadBatches;
  /** First offset whose record timestamp is >= `timestamp`, or undefined. */
  offsetForTimestamp(timestamp: number): number | undefined;
  /**
   * Wait for data without polling: `listener` gets the new log end offset after each append.
   * Returns the unsubscribe function. Listeners run synchronously inside the append: keep them
   * tiny (resolve a promise, schedule work); one that throws does not fail the append.
   */
  onAppend(listener: (logEndOffset: number) => void): () => void;
  /** Like `onAppend`, for high watermark moves (what consumers' long polls wait for). */
  onHighWatermark(listener: (highWatermark: number) => void): () => void;
}

/** Calls every listener with `value`; a listener that throws is reported asynchronously, not to the caller. */
export function notify(listeners: ReadonlySet<(value: number) => void>, value: number): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
