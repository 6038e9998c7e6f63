/**
 * The producer's memory bound (Kafka's `buffer.memory` and the BufferPool behind it): the bytes
 * of records accepted by `send` and not yet acknowledged or failed stay within `bufferMemory`.
 * Bytes are counted as `batchSize` counts them (`estimateSize`), taken when a send's records are
 * appended to the accumulator and given back when their batch is done, acknowledged or failed.
 *
 * Kafka's `send` blocks its thread for up to `max.block.ms` when the pool is empty, then throws
 * BufferExhaustedException. JavaScript cannot block the caller, so here a send that does not fit
 * waits in a queue and its promise rejects with BufferExhaustedError after `maxBlockMs`; and
 * `whenRoom()` lets a loop that does not await each send pause while the buffer is full, as a
 * Writable's 'drain' does. (librdkafka, behind node-rdkafka, neither waits nor queues: `produce`
 * throws "Local: Queue full" at once and the caller polls and tries again; KafkaJS has no bound.)
 *
 * Invariants:
 * - `used <= limit` always: bytes are taken only when they are free.
 * - FIFO: a send that arrives while others wait queues behind them even when it would fit, and
 *   the head is granted as soon as its bytes are free. So a large send cannot be starved by
 *   small ones, and sends are accepted in call order, which keeps the order of records within a
 *   partition (and so their sequence numbers). Kafka's head waiter gathers freed memory piece by
 *   piece; with one thread and a strict queue, waiting for all of it at once is the same.
 * - A grant runs synchronously, inside `release` (or `acquire`): the send's records are in the
 *   accumulator before anything else runs, so no bytes are ever reserved for records that are
 *   not in a batch, and `flush` cannot miss them.
 * - A waiter that times out appended nothing: it leaves the queue and those behind it may move.
 *   All waiters wait the same `maxBlockMs` and queued in order, so they time out in order too.
 */
import { BufferExhaustedError, MessageTooLargeError } from '@tributary/errors';

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
  readonly fail: (err: BufferExhaustedError) => void;
  timer: NodeJS.Timeout | undefined;
  /** Callers of `queued()` waiting for this waiter to leave the queue. */
  onLeave: (() => void)[] | undefined;
}

export class BufferMemory {
  #used = 0;
  /** Sends waiting for room, first in first out (only while the buffer is full: few). */
  readonly #waiters: Waiter[] = [];
  #roomWaiters: (() => void)[] = [];

  constructor(
    /** `bufferMemory`: the most bytes accepted and not yet done. */
    readonly limit: number,
    /** `maxBlockMs`: how long a send may wait for room. */
    readonly maxBlockMs: number,
  ) {}

  /** Bytes of records accepted and not yet acknowledged or failed. */
  get used(): number {
    return this.#used;
  }

  /** Sends waiting for room. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** A send now would wait: the buffer is full or other sends wait before it. */
  get full(): boolean {
    return this.#waiters.length > 0 || this.#used >= this.limit;
  }

  /**
   * Takes `bytes` and calls `grant` (synchronously) when they fit and nobody waits; otherwise
   * queues until they are free and calls `grant` then, or `fail` after `maxBlockMs` (at once
   * when `maxBlockMs` is 0). Throws MessageTooLargeError when `bytes` exceeds the whole bound:
   * such a send could never fit.
   */
  acquire(bytes: number, grant: () => void, fail: (err: BufferExhaustedError) => void): void {
    if (bytes > this.limit) throw new MessageTooLargeError(bytes, this.limit, 'send', 'bufferMemory');
    if (this.#waiters.length === 0 && this.#used + bytes <= this.limit) {
      this.#used += bytes;
      grant();
      return;
    }
    if (this.maxBlockMs === 0) {
      fail(new BufferExhaustedError(bytes, this.limit, this.limit - this.#used, 0));
      return;
    }
    const w: Waiter = { bytes, grant, fail, timer: undefined, onLeave: undefined };
    w.timer = setTimeout(() => this.#expire(w), this.maxBlockMs);
    this.#waiters.push(w);
  }

  /** Gives back the bytes of a finished batch; grants waiting sends that now fit, in order. */
  release(bytes: number): void {
    this.#used -= bytes;
    this.#serve();
  }

  /** Resolves when the buffer has room and no send waits for it (at once if so now). */
  whenRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves when every send waiting now has been granted or has failed. */
  queued(): Promise<void> {
    const last = this.#waiters.at(-1);
    if (last === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      last.onLeave ??= [];
      last.onLeave.push(resolve);
    });
  }

  #serve(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0]!;
      if (this.#used + w.bytes > this.limit) break;
      this.#waiters.shift();
      clearTimeout(w.timer);
      this.#used += w.bytes;
      w.grant();
      leave(w);
    }
    if (this.#roomWaiters.length > 0 && !this.full) {
      const ready = this.#roomWaiters;
      this.#roomWaiters = [];
      for (const resolve of ready) resolve();
    }
  }

  #expire(w: Waiter): void {
    const i = this.#waiters.indexOf(w);
    if (i < 0) return;
    this.#waiters.splice(i, 1);
    w.fail(new BufferExhaustedError(w.bytes, this.limit, this.limit - this.#used, this.maxBlockMs));
    leave(w);
    // The head gone, smaller sends behind it may fit now.
    this.#serve();
  }
}

function leave(w: Waiter): void {
  if (w.onLeave !== undefined) for (const resolve of w.onLeave) resolve();
}
