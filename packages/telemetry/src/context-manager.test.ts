import { context, createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { LazyAsyncLocalStorageContextManager } from './context-manager';
import { TEST_PARENT } from './in-memory-tracer';

const spanContext = trace.wrapSpanContext({ ...TEST_PARENT, traceFlags: 1 });
const withSpan = trace.setSpan(ROOT_CONTEXT, spanContext);
const tick = () => new Promise((r) => setImmediate(r));

describe('LazyAsyncLocalStorageContextManager', () => {
  let manager: LazyAsyncLocalStorageContextManager;
  beforeEach(() => {
    manager = new LazyAsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
  });
  afterEach(() => {
    context.disable();
  });

  it('a context without span or baggage (the exporter’s suppress flag) is active synchronously only, storage stays off', async () => {
    const suppressed = suppressTracing(ROOT_CONTEXT);
    let inside: unknown;
    let later: unknown;
    const done = context.with(suppressed, async () => {
      inside = context.active();
      await tick();
      later = context.active();
    });
    expect(inside).toBe(suppressed);
    expect(context.active()).toBe(ROOT_CONTEXT);
    await done;
    expect(later).toBe(ROOT_CONTEXT);
    expect(manager.asyncStorageOn).toBe(false);
  });

  it('a span context turns storage on and follows await, nested contexts included', async () => {
    const key = createContextKey('k');
    const seen: unknown[] = [];
    await context.with(withSpan, async () => {
      seen.push(trace.getSpanContext(context.active())?.spanId);
      await tick();
      seen.push(trace.getSpanContext(context.active())?.spanId);
      const plain = context.active().setValue(key, 1);
      await context.with(plain, async () => {
        await tick();
        seen.push(context.active().getValue(key));
      });
    });
    expect(seen).toEqual([TEST_PARENT.spanId, TEST_PARENT.spanId, 1]);
    expect(manager.asyncStorageOn).toBe(true);
    // After storage is on, even a context without a span follows await.
    const suppressed = suppressTracing(ROOT_CONTEXT);
    const after = await context.with(suppressed, async () => {
      await tick();
      return context.active();
    });
    expect(after).toBe(suppressed);
  });

  it('baggage turns storage on too; a span entered under a synchronous context wins over it', async () => {
    const bag = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ a: { value: '1' } }));
    const seen = await context.with(suppressTracing(ROOT_CONTEXT), () =>
      context.with(bag, async () => {
        await tick();
        return propagation.getBaggage(context.active())?.getEntry('a')?.value;
      }),
    );
    expect(seen).toBe('1');
    expect(manager.asyncStorageOn).toBe(true);
  });

  it('bind runs a function in the bound context', () => {
    const bound = manager.bind(withSpan, () => trace.getSpanContext(context.active())?.spanId);
    expect(bound()).toBe(TEST_PARENT.spanId);
  });
});
