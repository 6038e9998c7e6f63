import type { Clock, TimerHandle } from '../clock';

/** Writes one window's entries durably (one guarded etcd txn, split when too large). */
export type BatchWriter<T> = (entries: readonly T[]) => Promise<void>;

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Group commit for one consumer group's offset commits (ARCHITECTURE §6): etcd is not built for a
 * write per commit call, so every commit that arrives within `windowMs` of the first pending one
 * goes to etcd in one write, and each caller is answered only once that write has succeeded (or
 * failed: then every caller of the window gets the error). Entries are keyed: a later commit of the
 * same partition in the same window replaces the earlier one (both callers are answered by the
 * one write).
 *
 * One write is in flight at a time, so windows reach etcd in order. Commits that arrive while a
 * write is in flight form the next window, which starts as soon as that write finishes if its
 * first commit has already waited `windowMs`. Under load the window therefore stretches to the
 * write's latency, and etcd sees one txn per group per round trip whatever the commit rate.
 */
export class CommitCoalescer<T> {
  private pending = new Map<string, T>();
  private waiters: Waiter[] = [];
  private firstPendingAt = 0;
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private closedWith: Error | undefined;
  /** Windows written so far (each one `write` call). */
  windows = 0;
  /** Commit calls accepted. */
  commits = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly write: BatchWriter<T>,
  ) {}

  /** Queues entries (by key) and resolves once they are durable; rejects with the write's error. */
  commit(entries: ReadonlyMap<string, T>): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending.size === 0 && this.waiters.length === 0) this.firstPendingAt = this.clock.now();
    for (const [key, entry] of entries) this.pending.set(key, entry);
    this.commits++;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.arm();
    });
  }

  /**
   * Resolves once every commit accepted before this call is durable (or has failed), writing
   * what is pending without waiting for its window. Commits that arrive meanwhile are not waited
   * for, so a busy group cannot hold a drain forever.
   */
  async drain(): Promise<void> {
    if (this.closedWith) return;
    if (this.waiters.length === 0) {
      await this.inFlight?.catch(() => undefined);
      return;
    }
    const marker = new Promise<void>((resolve) => this.waiters.push({ resolve, reject: () => resolve() }));
    this.firstPendingAt = Number.NEGATIVE_INFINITY;
    if (this.inFlight) this.arm();
    else this.flush();
    await marker;
  }

  /** Fails everything pending with `err` and refuses further commits. */
  close(err: Error): void {
    this.closedWith = err;
    this.clock.clear(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    this.pending = new Map();
    for (const waiter of waiters) waiter.reject(err);
  }

  private arm(): void {
    if (this.timer || this.inFlight || this.waiters.length === 0) return;
    const wait = this.firstPendingAt + this.windowMs - this.clock.now();
    this.timer = this.clock.schedule(
      () => {
        this.timer = undefined;
        if (!this.inFlight) this.flush();
      },
      Math.max(0, wait),
    );
  }

  private flush(): void {
    this.clock.clear(this.timer);
    this.timer = undefined;
    const entries = [...this.pending.values()];
    const waiters = this.waiters;
    this.pending = new Map();
    this.waiters = [];
    if (waiters.length === 0) return;
    this.windows++;
    this.inFlight = Promise.resolve()
      .then(() => this.write(entries))
      .then(
        () => {
          for (const waiter of waiters) waiter.resolve();
        },
        (err: Error) => {
          for (const waiter of waiters) waiter.reject(err);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.arm();
      });
  }
}
