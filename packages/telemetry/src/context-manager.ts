/**
 * The context manager `startTracing` registers: AsyncLocalStorage, turned on only once a context
 * that carries something across `await` is first entered (a span or baggage).
 *
 * Why: on Node 20 an AsyncLocalStorage that has run once installs promise and async hooks for the
 * rest of the process, and every promise and async resource then pays for them (measured +0.3 to
 * +0.5 µs a record in `tributary perf produce`, more than a sampled span at 1 %). The SDK's batch
 * span processor enters a context at every export (`suppressTracing`, so instrumentations do not
 * trace the exporter's own HTTP calls), which turned the hooks on in a producer that otherwise
 * never enters a context: its `send` spans are started with an explicit parent.
 *
 * So until a span or baggage context is entered, a context without either (the root, or the
 * exporter's suppress-tracing one) is active for the synchronous part of `with` only; nothing
 * was ever entered that async work could inherit, so async continuations see the root context as
 * they would anyway. The one difference: the exporter's suppress flag does not follow its HTTP
 * request across `await`, which matters only to an HTTP instrumentation, and `startTracing`
 * registers none. After the first span or baggage context, everything goes through
 * AsyncLocalStorage, exactly as the SDK's own manager does.
 */

import { type Context, type ContextManager, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

export class LazyAsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorageContextManager();
  /** AsyncLocalStorage has been entered: every `with` goes through it from now on. */
  #on = false;
  /** The context entered synchronously while AsyncLocalStorage is off (see the module note). */
  #sync: Context | undefined;

  /** Whether AsyncLocalStorage has been turned on (tests, benchmarks). */
  get asyncStorageOn(): boolean {
    return this.#on;
  }

  active(): Context {
    if (this.#sync !== undefined) return this.#sync;
    return this.#on ? this.#storage.active() : ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.#sync;
    if (!this.#on && trace.getSpan(context) === undefined && propagation.getBaggage(context) === undefined) {
      this.#sync = context;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        this.#sync = previous;
      }
    }
    this.#on = true;
    this.#sync = undefined;
    try {
      return this.#storage.with(context, fn, thisArg, ...args);
    } finally {
      this.#sync = previous;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target === 'function') {
      const fn = target as unknown as (...args: unknown[]) => unknown;
      const manager = this;
      return function (this: unknown, ...args: unknown[]) {
        return manager.with(context, () => fn.apply(this, args));
      } as unknown as T;
    }
    // Event emitters: their listeners run later, in whatever async context; that needs storage.
    this.#on = true;
    return this.#storage.bind(context, target);
  }

  enable(): this {
    this.#storage.enable();
    return this;
  }

  disable(): this {
    this.#storage.disable();
    this.#on = false;
    this.#sync = undefined;
    return this;
  }
}
