import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  SamplingDecision,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { tracingConfigFromEnv } from './env-config';
import {
  ratioUpperBound,
  SampledSpans,
  startSampledSpan,
  traceIdWithAccumulation,
  trialsUntilKept,
} from './head-sampling';
import { startTracing, TRACER_NAME, type Tracing } from './tracing';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;

function start(env: Record<string, string>): void {
  trace.disable();
  context.disable();
  propagation.disable();
  exporter.reset();
  tracing = startTracing(tracingConfigFromEnv(env, 'unit'), { exporter });
}
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
  trace.disable();
});

/** The global tracer, counting the spans it is asked to start. */
function countingTracer(): { tracer: Tracer; started: () => number } {
  const real = trace.getTracer(TRACER_NAME);
  let n = 0;
  const tracer = {
    startSpan: (name: string, options?: SpanOptions, ctx?: Parameters<Tracer['startSpan']>[2]) => {
      n++;
      return real.startSpan(name, options, ctx);
    },
    startActiveSpan: real.startActiveSpan.bind(real),
  } as Tracer;
  return { tracer, started: () => n };
}

const remoteParent = (sampled: boolean) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  });

describe('head sampling (no span for what the sampler drops)', () => {
  it('builds trace ids the SDK ratio sampler judges by the chosen accumulation', () => {
    const sampler = new TraceIdRatioBasedSampler(0.01);
    const bound = ratioUpperBound(0.01);
    for (const acc of [0, 1, bound - 1, bound, bound + 1, 0xffffffff]) {
      const id = traceIdWithAccumulation(acc);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      const { decision } = sampler.shouldSample(ROOT_CONTEXT, id);
      expect(decision === SamplingDecision.RECORD_AND_SAMPLED).toBe(acc < bound);
    }
  });

  it('draws the trials up to the next kept one from one uniform number (geometric, as a draw per trial)', () => {
    // P(first trial kept) = p: uniform numbers below p give 1, as a draw per trial would.
    expect(trialsUntilKept(0.5, 0)).toBe(1);
    expect(trialsUntilKept(0.5, 0.49)).toBe(1);
    expect(trialsUntilKept(0.5, 0.5)).toBe(2);
    expect(trialsUntilKept(0.5, 0.75)).toBe(3);
    expect(trialsUntilKept(0.01, 0.0099)).toBe(1);
    expect(trialsUntilKept(0.01, 0.0101)).toBe(2);
    // P(more than k trials) = (1 - p)^k, checked at the median (k = 69 for p = 0.01).
    const n = 20_000;
    let beyondMedian = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const t = trialsUntilKept(0.01);
      expect(Number.isInteger(t) && t >= 1).toBe(true);
      if (t > 69) beyondMedian++;
      sum += t;
    }
    // (0.99)^69 = 0.4998; binomial sd 71, bounds 7 sd away. Mean 1/p = 100, sd of the mean 0.7.
    expect(Math.abs(beyondMedian - n * 0.99 ** 69)).toBeLessThan(500);
    expect(Math.abs(sum / n - 100)).toBeLessThan(5);
  });

  it('at 1 % starts about 1 % of root spans, each with a trace id the ratio sampler keeps', () => {
    start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' });
    const { tracer, started } = countingTracer();
    let optionsBuilt = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++)
      startSampledSpan(tracer, 'send t', SpanKind.PRODUCER, () => {
        optionsBuilt++;
        return {};
      })?.end();
    const spans = exporter.getFinishedSpans();
    // Binomial(20,000, 0.01): mean 200, sd 14; the bounds are 7 sd away.
    expect(spans.length).toBeGreaterThan(100);
    expect(spans.length).toBeLessThan(300);
    expect(started()).toBe(spans.length);
    expect(optionsBuilt).toBe(spans.length);
    const sdk = new TraceIdRatioBasedSampler(0.01);
    for (const s of spans)
      expect(sdk.shouldSample(ROOT_CONTEXT, s.spanContext().traceId).decision).toBe(
        SamplingDecision.RECORD_AND_SAMPLED,
      );
  });

  it('follows the parent under parentbased_*: a sampled parent gets a child, an unsampled one nothing', () => {
    start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    const { tracer, started } = countingTracer();
    const child = startSampledSpan(tracer, 'process t', SpanKind.INTERNAL, () => ({}), remoteParent(true));
    expect(child?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    child?.end();
    expect(
      startSampledSpan(tracer, 'process t', SpanKind.INTERNAL, () => ({}), remoteParent(false)),
    ).toBeUndefined();
    expect(startSampledSpan(tracer, 'root', SpanKind.INTERNAL, () => ({}))).toBeUndefined();
    expect(started()).toBe(1);
  });

  it('SampledSpans (one send call): a draw per span for roots, the parent’s decision for all under one', () => {
    start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' });
    const { tracer, started } = countingTracer();
    const roots = new SampledSpans(tracer, 'send t', SpanKind.PRODUCER);
    let kept = 0;
    for (let i = 0; i < 20_000; i++) if (roots.next() && roots.start(() => ({}))?.isRecording()) kept++;
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(300);
    expect(started()).toBe(kept);
    const underSampled = new SampledSpans(tracer, 'send t', SpanKind.PRODUCER, remoteParent(true));
    const underUnsampled = new SampledSpans(tracer, 'send t', SpanKind.PRODUCER, remoteParent(false));
    for (let i = 0; i < 100; i++) {
      expect(underSampled.next()).toBe(true);
      underSampled.start(() => ({}))?.end();
      expect(underUnsampled.next()).toBe(false);
    }
    expect(started()).toBe(kept + 100);
  });

  it('always_on starts every span; always_off none', () => {
    start({ OTEL_TRACES_SAMPLER: 'always_on' });
    let c = countingTracer();
    expect(startSampledSpan(c.tracer, 'a', SpanKind.INTERNAL, () => ({}))?.isRecording()).toBe(true);
    start({ OTEL_TRACES_SAMPLER: 'always_off' });
    c = countingTracer();
    expect(
      startSampledSpan(c.tracer, 'a', SpanKind.INTERNAL, () => ({}), remoteParent(true)),
    ).toBeUndefined();
    expect(c.started()).toBe(0);
  });

  it('without a provider of ours (the API no-op, or an application SDK) asks the tracer and drops non-recording spans', () => {
    trace.disable();
    const { tracer, started } = countingTracer();
    expect(startSampledSpan(tracer, 'a', SpanKind.INTERNAL, () => ({}))).toBeUndefined();
    expect(started()).toBe(1);
  });
});
