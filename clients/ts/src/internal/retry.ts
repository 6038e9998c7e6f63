/**
 * The client's one retry policy (Kafka's `retry.backoff.ms` / `retry.backoff.max.ms` with
 * `default.api.timeout.ms`): exponential backoff from `initialMs`, times `multiplier` per retry,
 * capped at `maxMs`, each delay jittered by ±`jitter`; retries stop after `retries` or once the
 * overall `timeoutMs` has passed, whichever comes first. Every client path waits through it:
 * unary calls (`retry`), loops that keep a connection or a fetch going (`Backoff`), and the
 * producer's per-batch retries (`Backoff.delay`).
 *
 * What to retry comes from the error table (`@tributary/errors`): `retriable` says whether,
 * `refreshMetadata` says to refresh metadata first. A call this side cancelled is CANCELLED,
 * told by its code (`isCancelled`), never by its message.
 */
import { TributaryError } from '@tributary/errors';

/** The retry policy's settings (all ms but `multiplier`, `jitter` and `retries`). */
export interface RetryPolicy {
  /** Retries after the first attempt at most. */
  readonly retries: number;
  /** First delay. */
  readonly initialRetryTimeMs: number;
  /** Longest delay. */
  readonly maxRetryTimeMs: number;
  /** Each delay is the previous one times this. */
  readonly multiplier: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  readonly jitter: number;
  /** No retry starts later than this after the first attempt. */
  readonly timeoutMs: number;
}

/** Defaults shared by every path: 100 ms doubling to 5 s, ±20 %, for at most 60 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: Number.MAX_SAFE_INTEGER,
  initialRetryTimeMs: 100,
  maxRetryTimeMs: 5000,
  multiplier: 2,
  jitter: 0.2,
  timeoutMs: 60_000,
};

/** The delay before retry number `attempt` (0-based) under `policy`. */
export function retryDelayMs(
  policy: Pick<RetryPolicy, 'initialRetryTimeMs' | 'maxRetryTimeMs' | 'multiplier' | 'jitter'>,
  attempt: number,
): number {
  const base = Math.min(
    policy.maxRetryTimeMs,
    policy.initialRetryTimeMs * policy.multiplier ** Math.min(attempt, 30),
  );
  return base * (1 - policy.jitter + Math.random() * 2 * policy.jitter);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when `err` is a call this side cancelled (gRPC CANCELLED), not a failure. */
export function isCancelled(err: unknown): boolean {
  return err instanceof TributaryError && err.errorName === 'CANCELLED';
}

/** Whether `policy` allows a retry after `failures` failed attempts begun at `startedAt`. */
function mayRetry(policy: RetryPolicy, failures: number, startedAt: number, delay: number): boolean {
  return failures <= policy.retries && Date.now() + delay - startedAt <= policy.timeoutMs;
}

/** What `retry` does between attempts besides waiting. */
export interface RetryHooks {
  /** Runs before a retry of an error whose `refreshMetadata` flag is set. */
  readonly refreshMetadata?: () => Promise<unknown> | unknown;
  /** Runs before every retry (find the coordinator again, re-read the controller, ...). */
  readonly beforeRetry?: (err: TributaryError) => Promise<unknown> | unknown;
  /** Also retry these errors, beyond the ones the table marks retriable. */
  readonly alsoRetry?: (err: TributaryError) => boolean;
}

/**
 * Calls `attempt` until it succeeds, retrying retriable TributaryErrors under `policy`; throws
 * the last error once the policy gives up. A failed metadata refresh does not end the retries:
 * the next attempt finds out.
 */
export async function retry<T>(
  policy: RetryPolicy,
  attempt: (n: number) => Promise<T>,
  hooks: RetryHooks = {},
): Promise<T> {
  const startedAt = Date.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof TributaryError)) throw err;
      if (!err.retriable && !(hooks.alsoRetry?.(err) ?? false)) throw err;
      const delay = retryDelayMs(policy, n);
      if (!mayRetry(policy, n + 1, startedAt, delay)) throw err;
      await sleep(delay);
      if (err.refreshMetadata && hooks.refreshMetadata !== undefined) {
        try {
          await hooks.refreshMetadata();
        } catch {
          // The next attempt meets the same trouble and reports it.
        }
      }
      if (hooks.beforeRetry !== undefined) await hooks.beforeRetry(err);
    }
  }
}

/**
 * The backoff of a loop that retries on its own (a fetch loop, a session's reconnects, a
 * batch's resends): `next()` gives the delay before the next try and counts a failure, `reset()`
 * after a success.
 */
export class Backoff {
  #failures = 0;

  constructor(
    private readonly policy: Pick<
      RetryPolicy,
      'initialRetryTimeMs' | 'maxRetryTimeMs' | 'multiplier' | 'jitter'
    > = DEFAULT_RETRY_POLICY,
  ) {}

  /** Failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** The delay before the next try; counts one more failure. */
  next(): number {
    return retryDelayMs(this.policy, this.#failures++);
  }

  /** Waits the delay before the next try. */
  wait(): Promise<void> {
    return sleep(this.next());
  }

  reset(): void {
    this.#failures = 0;
  }
}
