/**
 * Head sampling before any span exists, so a record (or batch, or call) that is not sampled
 * costs no span at all: no trace or span id, no `NonRecordingSpan`, no attribute object.
 *
 * The SDK decides only inside `startSpan`, after it has made ids and sanitised attributes (about
 * 1.6 µs, a third of a record's whole budget at 200,000 records/s). When the process's tracer
 * provider is the one `startTracing` registered, we know its sampler and decide first, the
 * same way the SDK would:
 * - with a parent span in the context, the configured sampler itself is asked with the parent's
 *   trace id (cheap: parent-based samplers read the parent's flag, the ratio sampler reads the
 *   trace id), and it gives the same answer inside `startSpan` later;
 * - for a root span, `*traceidratio` keeps each span with the probability the SDK's
 *   `TraceIdRatioBasedSampler` would (p = bound / 2^32), independently. Rather than one random
 *   draw per span, the number of spans up to and including the next kept one is drawn once per
 *   kept span (geometric: the gap between successes of independent trials with probability p),
 *   so an unsampled span costs a counter decrement. A kept span gets a trace id built so that the
 *   SDK's sampler (which XORs the id's four 32-bit words and compares the result with the same
 *   bound) accepts it, uniform among such ids: the trace keeps the trace-id-ratio property, so a
 *   downstream `traceidratio` sampler with a ratio as high decides the same way.
 *
 * With any other tracer provider (an application's own SDK, or the API's no-op one) the span is
 * started and dropped when it does not record, as before.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  ProxyTracerProvider,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type InstrumentationScope, isTracingSuppressed } from '@opentelemetry/core';
import { RandomIdGenerator, type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { SamplerName } from './env-config';
import { LeanSpan, type LeanSpanSink } from './lean-span';
import { childTraceparent, rootTraceparent } from './traceparent-bytes';

/**
 * The SDK's id generator, able to hand the next root span a trace id with a chosen accumulation
 * (see `traceIdWithAccumulation`). The id is built only if a span takes it: a flat send span
 * (the client's send-tracing.ts) writes its ids as bytes and takes the accumulation instead.
 */
export class PresetTraceIdGenerator extends RandomIdGenerator {
  #next: number | undefined;
  constructor() {
    super();
    const random = this.generateTraceId;
    this.generateTraceId = () => {
      const preset = this.#next;
      if (preset === undefined) return random();
      this.#next = undefined;
      return traceIdWithAccumulation(preset);
    };
  }
  /** The accumulation of the trace id the next root span gets (consumed by it). */
  preset(accumulation: number | undefined): void {
    this.#next = accumulation;
  }
  /** Takes the preset accumulation (a root span built without this generator uses it). */
  take(): number | undefined {
    const preset = this.#next;
    this.#next = undefined;
    return preset;
  }
}

const random32 = () => (Math.random() * 2 ** 32) >>> 0;
const ID_BYTES = Buffer.allocUnsafe(16);

/**
 * A random trace id whose four 32-bit words XOR to `accumulation`, the value the SDK's
 * `TraceIdRatioBasedSampler` compares with its bound.
 */
export function traceIdWithAccumulation(accumulation: number): string {
  let a = random32();
  const b = random32();
  const c = random32();
  if (a === 0 && b === 0 && c === 0 && accumulation === 0) a = 1; // all-zero ids are invalid
  ID_BYTES.writeUInt32BE(a, 0);
  ID_BYTES.writeUInt32BE(b, 4);
  ID_BYTES.writeUInt32BE(c, 8);
  ID_BYTES.writeUInt32BE((accumulation ^ a ^ b ^ c) >>> 0, 12);
  return ID_BYTES.toString('hex');
}

/** The bound the SDK's ratio sampler compares a trace id's accumulation with. */
export const ratioUpperBound = (ratio: number): number =>
  ratio >= 1 ? 0x100000000 : ratio <= 0 ? 0 : Math.floor(ratio * 0xffffffff);

/**
 * How many independent trials, each kept with probability `p` (0 < p < 1), up to and including
 * the next kept one: geometric on 1, 2, ..., drawn by inversion from one uniform number. The
 * same distribution as drawing each trial on its own, at one draw per kept trial.
 */
export function trialsUntilKept(p: number, uniform: number = Math.random()): number {
  // 1 - uniform is in (0, 1]: log of it is finite; log1p keeps precision for small p.
  const trials = Math.floor(Math.log(1 - uniform) / Math.log1p(-p)) + 1;
  return Number.isFinite(trials) ? Math.max(1, trials) : Number.MAX_SAFE_INTEGER;
}

/** The decisions one `startTracing` provider would take, made without starting a span. */
export class HeadSampler {
  readonly #bound: number;
  readonly #sinks = new Map<InstrumentationScope, LeanSpanSink>();
  /** What a root span gets: sampled always, never, or by trace-id ratio. */
  readonly #root: 'on' | 'off' | 'ratio';
  /** Under `ratio`: the probability a root span is kept, as the SDK's sampler computes it. */
  readonly #p: number;
  /** Root draws left until the next kept one (this one included): see `draw`. */
  #countdown: number;

  constructor(
    readonly provider: TracerProvider & {
      getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer;
    },
    private readonly sampler: Sampler,
    samplerName: SamplerName,
    ratio: number,
    private readonly ids: PresetTraceIdGenerator,
    /** Where the spans this sampler keeps go: the provider's span processor, resource, scope. */
    private readonly sink: Omit<LeanSpanSink, 'scope'>,
  ) {
    this.#bound = ratioUpperBound(ratio);
    this.#root = samplerName.endsWith('always_on')
      ? 'on'
      : samplerName.endsWith('always_off')
        ? 'off'
        : this.#bound === 0
          ? 'off'
          : this.#bound === 0x100000000
            ? 'on'
            : 'ratio';
    this.#p = this.#bound / 0x100000000;
    this.#countdown = this.#root === 'ratio' ? trialsUntilKept(this.#p) : 0;
  }

  /**
   * How spans under `parent` are sampled: all, none, or each by a ratio draw (roots under a
   * `*traceidratio` sampler). With a parent, the configured sampler is asked once.
   */
  modeUnder(parent: Context, name: string): 'all' | 'none' | 'ratio' {
    const parentContext = trace.getSpanContext(parent);
    if (parentContext !== undefined && isSpanContextValid(parentContext)) {
      const { decision } = this.sampler.shouldSample(
        parent,
        parentContext.traceId,
        name,
        SpanKind.INTERNAL,
        {},
        [],
      );
      return decision === SamplingDecision.RECORD_AND_SAMPLED ? 'all' : 'none';
    }
    return this.#root === 'on' ? 'all' : this.#root === 'off' ? 'none' : 'ratio';
  }

  /**
   * One root span's ratio decision: true (and the next root span's trace id preset) when it is
   * kept. Each root span is kept with probability p independently of the others, as with one
   * random draw each, but the randomness is drawn per kept span: the count of spans up to the
   * next kept one (`trialsUntilKept`), so an unsampled span costs a decrement and a compare. (A
   * `Math.random()` per record, its result boxed as a heap number, was the one allocation 1 %
   * sampling added to every record of a producer: 16 bytes each, about half as much garbage as
   * the OTLP/JSON of the sampled spans.) The count is one per sampler, shared by every caller: the trials stay
   * independent whoever makes them.
   */
  draw(): boolean {
    if (--this.#countdown > 0) return false;
    this.#countdown = trialsUntilKept(this.#p);
    // Uniform among the accumulations the SDK's sampler keeps, as a kept random id's would be.
    this.ids.preset(Math.floor(Math.random() * this.#bound));
    return true;
  }

  /**
   * Whether `tracer` is one of this provider's (not a wrapper or another SDK's): its spans can
   * then be lean spans, which go to this provider's processor. Returns where they go (one
   * object per scope, made once).
   */
  sinkOf(tracer: Tracer): LeanSpanSink | undefined {
    const scope = (tracer as { instrumentationScope?: InstrumentationScope }).instrumentationScope;
    if (scope === undefined) return undefined;
    const own = this.provider.getTracer(scope.name, scope.version, { schemaUrl: scope.schemaUrl });
    if (own !== tracer) return undefined;
    let sink = this.#sinks.get(scope);
    if (sink === undefined) {
      sink = { ...this.sink, scope };
      this.#sinks.set(scope, sink);
    }
    return sink;
  }

  /**
   * Starts the lean span (lean-span.ts) of a span this sampler decided to keep, as the SDK's
   * tracer would start it: the parent's trace id and state, or the preset / a random trace id
   * for a root, a new span id, sampled. Undefined under a suppress-tracing context, where the
   * SDK starts nothing that records either.
   */
  startLean(
    sink: LeanSpanSink,
    name: string,
    kind: SpanKind,
    parent: Context,
    options: SpanOptions,
  ): Span | undefined {
    if (isTracingSuppressed(parent)) return undefined;
    const parentSpanContext = trace.getSpanContext(parent);
    const valid = parentSpanContext !== undefined && isSpanContextValid(parentSpanContext);
    const spanContext = {
      traceId: valid ? parentSpanContext.traceId : this.ids.generateTraceId(),
      spanId: this.ids.generateSpanId(),
      traceFlags: TraceFlags.SAMPLED,
      traceState: valid ? parentSpanContext.traceState : undefined,
    };
    const span = new LeanSpan(
      sink,
      name,
      options.kind ?? kind,
      spanContext,
      valid ? parentSpanContext : undefined,
      options.attributes,
      options.links,
      options.startTime,
    );
    sink.processor.onStart(span, parent);
    return span;
  }

  /** Forgets a preset trace id the span just started did not take. */
  clearPreset(): void {
    this.ids.preset(undefined);
  }

  /**
   * The accumulation of the next root span's trace id, for a span that writes its ids itself
   * (`SampledSpans.traceparent`): the one `draw` chose, or any (always_on roots) when none.
   */
  takeRootAccumulation(): number {
    return this.ids.take() ?? random32();
  }
}

let registered: HeadSampler | undefined;

/** Called by `startTracing`; at its shutdown with undefined and the one it registered. */
export function registerHeadSampler(sampler: HeadSampler | undefined, replacing?: HeadSampler): void {
  if (replacing !== undefined && registered !== replacing) return;
  registered = sampler;
}

/** The head sampler of the global tracer provider, if `startTracing` registered it. */
function currentHeadSampler(): HeadSampler | undefined {
  if (registered === undefined) return undefined;
  const global = trace.getTracerProvider();
  const delegate = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  return delegate === registered.provider ? registered : undefined;
}

/**
 * Spans of one name and kind under one parent, sampled one by one: a `send` call's records.
 * What is the same for all of them (the head sampler, the parent's decision) is resolved once,
 * so an unsampled one costs a counter decrement, or nothing when the parent decides for all.
 *
 * ```ts
 * const sends = new SampledSpans(tracer, 'send orders', SpanKind.PRODUCER);
 * for (const r of records) if (sends.next()) { const span = sends.start(() => ({ attributes })); ... }
 * ```
 *
 * Under any other tracer provider (an application's SDK, or the API's no-op one when tracing is
 * off) `next()` is true and `start` starts the span with its kind alone, applying the options
 * only if it records: tracing off costs one no-op span per `SampledSpans` (after it, `next()` is
 * false) and no attribute object (the application's sampler then sees no attributes or links
 * at start, and `startTime` is not applied there).
 */
export class SampledSpans {
  readonly #head: HeadSampler | undefined;
  #mode: 'all' | 'none' | 'ratio' | 'ask';
  /** Where lean spans go, when the tracer is the head sampler's provider's own. */
  readonly #leanSink: LeanSpanSink | undefined;
  /**
   * Where a span can go that is kept as data until it ends (the client's flat send spans): the
   * provider's span processor, resource and scope, and the parent span's context (undefined for
   * roots). Set when lean spans are possible (the provider `startTracing` made, its own tracer)
   * and the parent does not suppress tracing; undefined otherwise (then `start` spans).
   */
  readonly flat: { readonly sink: LeanSpanSink; readonly parent: SpanContext | undefined } | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly name: string,
    private readonly kind: SpanKind,
    /** The context the spans start under (the active one when the spans were asked for). */
    readonly parent: Context = context.active(),
  ) {
    this.#head = currentHeadSampler();
    this.#mode = this.#head === undefined ? 'ask' : this.#head.modeUnder(parent, name);
    this.#leanSink = this.#mode === 'all' || this.#mode === 'ratio' ? this.#head?.sinkOf(tracer) : undefined;
    if (this.#leanSink !== undefined && !isTracingSuppressed(parent)) {
      const sc = trace.getSpanContext(parent);
      this.flat = {
        sink: this.#leanSink,
        parent: sc !== undefined && isSpanContextValid(sc) ? sc : undefined,
      };
    }
  }

  /**
   * The `traceparent` (traceparent-bytes.ts) of the span `next()` said is sampled, for a span
   * kept as data (`flat` defined): the ids the SDK's tracer would give it (the parent's trace
   * id, or a root trace id with the head sampler's chosen accumulation) and a new span id.
   */
  traceparent(): Buffer {
    const parent = this.flat?.parent;
    if (parent !== undefined) return childTraceparent(parent.traceId);
    return rootTraceparent(this.#head!.takeRootAccumulation());
  }

  /** Whether the next span is sampled; when true, call `start` right after. */
  next(): boolean {
    switch (this.#mode) {
      case 'none':
        return false;
      case 'ratio':
        return this.#head!.draw();
      default:
        return true;
    }
  }

  /** Starts no span after all after `next()` said one is sampled (nothing to trace). */
  skip(): void {
    if (this.#mode !== 'ask') this.#head!.clearPreset();
  }

  /** Starts the span `next()` said is sampled; undefined if it does not record after all. */
  start(options: () => SpanOptions): Span | undefined {
    if (this.#mode !== 'ask') {
      try {
        if (this.#leanSink !== undefined)
          return this.#head!.startLean(this.#leanSink, this.name, this.kind, this.parent, options());
        return this.tracer.startSpan(this.name, { kind: this.kind, ...options() }, this.parent);
      } finally {
        this.#head!.clearPreset();
      }
    }
    const span = this.tracer.startSpan(this.name, { kind: this.kind }, this.parent);
    if (!span.isRecording()) {
      // An invalid context is the API's no-op tracer (tracing off) or a suppressed parent: the
      // same for every span under this parent, so the rest are not asked for (one no-op span
      // per call, not one per record). An application SDK's dropped span has valid ids.
      if (!isSpanContextValid(span.spanContext())) this.#mode = 'none';
      span.end();
      return undefined;
    }
    const { attributes, links } = options();
    if (attributes !== undefined) span.setAttributes(attributes);
    if (links !== undefined) span.addLinks(links);
    return span;
  }
}

/**
 * The one way Tributary starts a single span that may be sampled out: a recording span, or
 * undefined when it would not be sampled, in which case (with a provider `startTracing` made)
 * no span, id or attribute object was made at all. `options` (attributes, links, start time) is
 * built only for a sampled span. `parent` defaults to the active context. See `SampledSpans`
 * for many spans under one parent, and for providers `startTracing` did not make.
 */
export function startSampledSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  options: () => SpanOptions,
  parent: Context = context.active(),
): Span | undefined {
  const spans = new SampledSpans(tracer, name, kind, parent);
  return spans.next() ? spans.start(options) : undefined;
}
