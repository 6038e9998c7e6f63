/**
 * The storage layer's only notion of time (Kafka's `Time`). Everything that ages — segment roll
 * by `segment.ms`, retention by `retention.ms`, flush by `flush.ms`, LogAppendTime stamps — reads
 * an injected clock, so tests move time instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (Kafka's `MockTime`), for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` (never backwards). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError(`cannot move a clock backwards (${ms} ms)`);
    this.#now += ms;
  }
}
