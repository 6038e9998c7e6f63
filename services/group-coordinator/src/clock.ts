/**
 * Time as the coordinator sees it (Kafka's `Time` / `MockTime`): session, processing and
 * rebalance timeouts and the commit window all read and schedule through a `Clock`, so unit tests
 * move a `ManualClock` instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms`; returns a handle for `clear`. */
  schedule(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
}

/** An opaque scheduled call. */
export interface TimerHandle {
  readonly dueAt: number;
}

/** The real clock: `Date.now()` and `setTimeout`. Timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    return { dueAt: Date.now() + ms, timer } as TimerHandle;
  },
  clear(handle) {
    if (handle) clearTimeout((handle as unknown as { timer: NodeJS.Timeout }).timer);
  },
};

interface ManualTimer extends TimerHandle {
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told: `advance(ms)` runs every timer that falls due, in due order
 * (timers scheduled by a running timer run too if they fall due within the advance).
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 1_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  schedule(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = {
      dueAt: this.current + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.timers.push(timer);
    return timer;
  }

  clear(handle: TimerHandle | undefined): void {
    if (handle) (handle as ManualTimer).cancelled = true;
  }

  /** Moves time forward by `ms`, running due timers on the way. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers
        .filter((t) => t.dueAt <= target)
        .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
      if (!due) break;
      this.current = Math.max(this.current, due.dueAt);
      due.cancelled = true;
      due.fn();
    }
    this.current = target;
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
