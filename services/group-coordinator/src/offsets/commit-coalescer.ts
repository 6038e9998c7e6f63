import type { Clock, TimerHandle } from '../clock';

/** Writes one window's entries durably (one guarded etcd txn, split when too large). */
export type BatchWriter<T> = (entries: readonly T[]) => Promise<void>;

/** One `commit` call: answered once each of its entries is durable, or failed with the first error. */
interface PendingCommit {
  outstanding: number;
  failed: boolean;
  resolve(): void;
  reject(err: Error): void;
  /** The caller's promise (what `drain` waits for). */
  answered?: Promise<void>;
}

/** The latest value of one key not yet written, and every commit waiting for it. */
interface PendingEntry<T> {
  value: T;
  commits: PendingCommit[];
}

/**
 * Group commit for one consumer group's offset commits (ARCHITECTURE §6): etcd is not built for a
 * write per commit call, so commits are gathered into windows and each window goes to etcd in one
 * write; each caller is answered only once the writes holding its entries have succeeded (or
 * failed: then it gets the error). Entries are keyed (one per partition): a later commit of a key
 * not yet written replaces the earlier value, and both callers are answered by the one write.
 *
 * Up to `maxInFlight` writes run at once (pipelining: a window need not wait for the previous
 * write's etcd round trip), but never two writes holding the same key, so each partition's
 * commits reach etcd in the order they were accepted: an entry whose key is in a write in flight
 * waits for that write and goes in the next window after it. A window is written once its first
 * commit has waited `windowMs` and a write slot is free; under load the windows therefore stretch
 * to the writes' latency, and etcd sees at most `maxInFlight` txns per group per round trip
 * whatever the commit rate. With `maxInFlight` 1 this is the one-write-at-a-time group commit.
 */
export class CommitCoalescer<T> {
  private pending = new Map<string, PendingEntry<T>>();
  /**
   * The commit calls of each write in flight. With `pending`, every commit not yet answered is
   * in here or there: `drain` finds them without any per-commit bookkeeping on the hot path.
   */
  private readonly writesInFlight = new Set<PendingCommit[][]>();
  /** Keys of the writes in flight. */
  private readonly writing = new Set<string>();
  private inFlight = 0;
  private firstPendingAt = 0;
  private timer: TimerHandle | undefined;
  private closedWith: Error | undefined;
  /** Windows written so far (each one `write` call). */
  windows = 0;
  /** Commit calls accepted. */
  commits = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly write: BatchWriter<T>,
    private readonly maxInFlight = 1,
  ) {}

  /** Queues entries (by key) and resolves once they are durable; rejects with a write's error. */
  commit(entries: ReadonlyMap<string, T>): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending.size === 0) this.firstPendingAt = this.clock.now();
    this.commits++;
    let call!: PendingCommit;
    const answered = new Promise<void>((resolve, reject) => {
      call = { outstanding: entries.size, failed: false, resolve, reject };
    });
    call.answered = answered;
    // A failure is the caller's to handle, whenever it looks (never an unhandled rejection).
    answered.catch(ignore);
    if (entries.size === 0) call.resolve();
    for (const [key, value] of entries) {
      const entry = this.pending.get(key);
      if (entry) {
        entry.value = value;
        entry.commits.push(call);
      } else {
        this.pending.set(key, { value, commits: [call] });
      }
    }
    this.arm();
    return answered;
  }

  /**
   * Resolves once every commit accepted before this call is durable (or has failed), writing
   * what is pending without waiting for its window. Commits that arrive meanwhile are not waited
   * for, so a busy group cannot hold a drain forever.
   */
  async drain(): Promise<void> {
    if (this.closedWith) return;
    const before = new Set<PendingCommit>();
    for (const entry of this.pending.values()) for (const call of entry.commits) before.add(call);
    for (const calls of this.writesInFlight)
      for (const list of calls) for (const call of list) before.add(call);
    if (before.size === 0) return;
    this.firstPendingAt = Number.NEGATIVE_INFINITY;
    this.clock.clear(this.timer);
    this.timer = undefined;
    if (this.inFlight < this.maxInFlight) this.flush();
    this.arm();
    await Promise.all([...before].map((call) => call.answered!.then(ignore, ignore)));
  }

  /** Fails everything not yet written with `err` and refuses further commits. */
  close(err: Error): void {
    this.closedWith = err;
    this.clock.clear(this.timer);
    this.timer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    for (const entry of pending.values()) for (const call of entry.commits) fail(call, err);
  }

  private arm(): void {
    if (this.timer || this.closedWith || this.pending.size === 0 || this.inFlight >= this.maxInFlight) return;
    // Even with no window left the write goes on a timer, so the commits of one tick share it.
    const wait = this.firstPendingAt + this.windowMs - this.clock.now();
    this.timer = this.clock.schedule(() => this.fire(), Math.max(0, wait));
  }

  private fire(): void {
    this.timer = undefined;
    if (this.inFlight < this.maxInFlight) this.flush();
    this.arm();
  }

  /** Writes every pending entry whose key is not in a write in flight. */
  private flush(): void {
    const keys: string[] = [];
    const values: T[] = [];
    const calls: PendingCommit[][] = [];
    for (const [key, entry] of this.pending) {
      if (this.writing.has(key)) continue;
      keys.push(key);
      values.push(entry.value);
      calls.push(entry.commits);
    }
    if (keys.length === 0) return;
    for (const key of keys) {
      this.pending.delete(key);
      this.writing.add(key);
    }
    // Entries left behind (their key is being written) have waited already: they go next.
    if (this.pending.size > 0) this.firstPendingAt = Number.NEGATIVE_INFINITY;
    this.windows++;
    this.inFlight++;
    this.writesInFlight.add(calls);
    Promise.resolve()
      .then(() => this.write(values))
      .then(
        () => {
          for (const list of calls) for (const call of list) succeed(call);
        },
        (err: Error) => {
          for (const list of calls) for (const call of list) fail(call, err);
        },
      )
      .finally(() => {
        this.writesInFlight.delete(calls);
        this.inFlight--;
        for (const key of keys) this.writing.delete(key);
        this.arm();
      });
  }
}

function ignore(): void {}

function succeed(call: PendingCommit): void {
  if (--call.outstanding === 0 && !call.failed) call.resolve();
}

function fail(call: PendingCommit, err: Error): void {
  if (call.failed) return;
  call.failed = true;
  call.reject(err);
}
