/**
 * Client options: every field documented with its default, filled in by one `withDefaults()`.
 * Producer and consumer options live beside their classes; the shared connection settings are
 * here.
 */
import { InvalidConfigError } from '@tributary/errors';

/** Retry policy for retriable errors: exponential backoff with jitter, bounded attempts. */
export interface RetryOptions {
  /** Retries after the first attempt before the error reaches the caller. @default 5 */
  retries?: number;
  /** First backoff in ms; doubles after each retry. @default 100 */
  initialRetryTimeMs?: number;
  /** Longest backoff in ms. @default 5000 */
  maxRetryTimeMs?: number;
}

/** Options of `new Tributary(options)`. */
export interface ClientOptions {
  /**
   * Brokers to bootstrap from (`host:port`); any one that answers is enough, the rest of the
   * cluster is discovered through Metadata.
   * @default ['127.0.0.1:9092']
   */
  bootstrap?: readonly string[];
  /** Names this client in broker and coordinator logs and in `groups describe`. @default 'tributary-ts' */
  clientId?: string;
  /** Deadline of each request in ms. @default 30000 */
  requestTimeoutMs?: number;
  /** Retries of retriable errors. @default { retries: 5, initialRetryTimeMs: 100, maxRetryTimeMs: 5000 } */
  retry?: RetryOptions;
}

/** {@link ClientOptions} with every default filled in. */
export interface ResolvedClientOptions {
  bootstrap: readonly string[];
  clientId: string;
  requestTimeoutMs: number;
  retry: Required<RetryOptions>;
}

/** The default bootstrap address: the local cluster of `npm run dev`. */
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';

const HOST_PORT = /^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;

function positiveInt(name: string, value: number, allowZero = false): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidConfigError(
      name,
      `must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${value}`,
    );
  }
  return value;
}

/** Fills in and validates client options; a bad value throws InvalidConfigError naming it. */
export function withDefaults(options: ClientOptions = {}): ResolvedClientOptions {
  const bootstrap = options.bootstrap ?? [DEFAULT_BOOTSTRAP];
  if (bootstrap.length === 0)
    throw new InvalidConfigError('bootstrap', 'name at least one broker as host:port');
  for (const address of bootstrap) {
    if (!HOST_PORT.test(address)) {
      throw new InvalidConfigError('bootstrap', `"${address}" is not host:port (e.g. 127.0.0.1:9092)`);
    }
  }
  const retry = options.retry ?? {};
  return {
    bootstrap: [...bootstrap],
    clientId: options.clientId ?? 'tributary-ts',
    requestTimeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 30_000),
    retry: {
      retries: positiveInt('retry.retries', retry.retries ?? 5, true),
      initialRetryTimeMs: positiveInt('retry.initialRetryTimeMs', retry.initialRetryTimeMs ?? 100),
      maxRetryTimeMs: positiveInt('retry.maxRetryTimeMs', retry.maxRetryTimeMs ?? 5000),
    },
  };
}
