/**
 * Client options: every field documented with its default, filled in by one `withDefaults()`.
 * Producer and consumer options live beside their classes; the shared connection settings are
 * here.
 */

import type { ChannelCredentials } from '@grpc/grpc-js';
import type { MeterProvider } from '@opentelemetry/api';
import { InvalidConfigError } from '@tributary/errors';
import { type ClientTlsOptions, createChannelCredentials, type TokenSource } from '@tributary/proto';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './internal/retry';

/**
 * Retry policy for retriable errors (internal/retry.ts): exponential backoff with jitter,
 * bounded by an overall deadline (Kafka's `default.api.timeout.ms`) and a count.
 */
export interface RetryOptions {
  /** Retries after the first attempt at most; by default only `timeoutMs` bounds them. @default Number.MAX_SAFE_INTEGER */
  retries?: number;
  /** First backoff in ms. @default 100 */
  initialRetryTimeMs?: number;
  /** Longest backoff in ms. @default 5000 */
  maxRetryTimeMs?: number;
  /** Each backoff is the previous one times this. @default 2 */
  multiplier?: number;
  /** Each backoff is scaled by a random factor in [1 - jitter, 1 + jitter]. @default 0.2 */
  jitter?: number;
  /** No retry starts later than this many ms after the first attempt (`default.api.timeout.ms`). @default 60000 */
  timeoutMs?: number;
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
  /** Retries of retriable errors: 100 ms doubling to 5 s, ±20 %, for at most 60 s. */
  retry?: RetryOptions;
  /**
   * Where the producer's metrics go (send rate, batch size, retries; docs/client.md). Default:
   * the global OpenTelemetry MeterProvider as it is when the producer is created (a no-op
   * unless the application registered one).
   */
  meterProvider?: MeterProvider;
  /**
   * TLS to every broker, controller and coordinator: `caFile` (PEM) verifies them (absent:
   * Node's public roots); `certFile` and `keyFile` present a client certificate, for listeners
   * with mutual TLS. The files are read again while the client runs, so a rotated certificate
   * is used by its next connection. `{}` is TLS with the public roots.
   * @default undefined (plaintext)
   */
  tls?: ClientTlsOptions;
  /**
   * The bearer token every call carries, for a cluster with authentication on
   * (docs/security.md): a token from `tributary auth token create`, or a function asked on every
   * call (to hand over a refreshed token). @default none
   */
  token?: string | TokenSource;
}

/** {@link ClientOptions} with every default filled in. */
export interface ResolvedClientOptions {
  bootstrap: readonly string[];
  clientId: string;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  meterProvider?: MeterProvider;
  tls?: ClientTlsOptions;
  /** The transport every connection of this client uses, made once from `tls`. */
  credentials: ChannelCredentials;
  token?: TokenSource;
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
    retry: retryWithDefaults(retry),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    credentials: credentialsFor(options.tls),
    ...(options.meterProvider === undefined ? {} : { meterProvider: options.meterProvider }),
    ...(options.token === undefined ? {} : { token: tokenSource(options.token) }),
  };
}

/** The channel credentials of `tls`; unreadable or mismatched files throw InvalidConfigError('tls'). */
function credentialsFor(tls: ClientTlsOptions | undefined): ChannelCredentials {
  try {
    return createChannelCredentials(tls);
  } catch (err) {
    throw new InvalidConfigError('tls', (err as Error).message);
  }
}

/** A token option as the function `createClient` asks on every call. */
export function tokenSource(token: string | TokenSource): TokenSource {
  if (typeof token === 'function') return token;
  if (token.trim() === '') throw new InvalidConfigError('token', 'is empty');
  const fixed = token.trim();
  return () => fixed;
}

/** Fills in and validates a retry policy. */
export function retryWithDefaults(retry: RetryOptions = {}): RetryPolicy {
  const d = DEFAULT_RETRY_POLICY;
  const multiplier = retry.multiplier ?? d.multiplier;
  if (!(multiplier >= 1))
    throw new InvalidConfigError('retry.multiplier', `must be at least 1, got ${multiplier}`);
  const jitter = retry.jitter ?? d.jitter;
  if (!(jitter >= 0 && jitter < 1))
    throw new InvalidConfigError('retry.jitter', `must be in [0, 1), got ${jitter}`);
  return {
    retries: positiveInt('retry.retries', retry.retries ?? d.retries, true),
    initialRetryTimeMs: positiveInt(
      'retry.initialRetryTimeMs',
      retry.initialRetryTimeMs ?? d.initialRetryTimeMs,
    ),
    maxRetryTimeMs: positiveInt('retry.maxRetryTimeMs', retry.maxRetryTimeMs ?? d.maxRetryTimeMs),
    multiplier,
    jitter,
    timeoutMs: positiveInt('retry.timeoutMs', retry.timeoutMs ?? d.timeoutMs),
  };
}
