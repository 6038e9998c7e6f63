// Bench-only variants of the producer's 1 % tracing for bench/tracing-phases.mjs
// (`PHASES_VARIANT`, issue 14's seventh pass): each does only part of a sampled record's work
// in the 1 % phases, so the differences between variants say where the CPU 1 % adds goes.
// Off phases are untouched (they take the client's own code path).
//
// - full:      the client as it is (span, header, request context, JSON, HTTP export).
// - nospan:    the head sampler's decision and, for a kept record, its `traceparent` header and
//              the request's trace context, built from ids as the head sampler makes them; no
//              span (a do-nothing object stands in, so the producer's calls are the same).
// (noheader, the span without header or request context, went with the eighth pass: a sampled
// record's request context is now what ends its span.)
// - noexport:  span, header and context; the exporter discards the batches (no JSON, no HTTP).
// - json:      as noexport, but the exporter writes each batch's OTLP/JSON bytes, then drops them.
// - garbage:   nospan, plus 8 KiB of short-lived garbage per kept record (what a sampled span,
//              its header and its OTLP/JSON allocate, measured apart): is the cost the allocation?
export const VARIANTS = ['full', 'nospan', 'noexport', 'json', 'garbage'];
/** Where the garbage variant's arrays go, so they are not optimised away. */
export const garbageSink = [];

const SUCCESS = { code: 0 };

/**
 * Applies `variant` to the measured client. `isOn()`: whether the current phase traces.
 * `clientRequire` resolves in the measured checkout's client; `provider` is its tracer provider.
 */
export function applyVariant(variant, { clientRequire, provider, isOn }) {
  if (!VARIANTS.includes(variant)) throw new Error(`PHASES_VARIANT: one of ${VARIANTS.join(', ')}`);
  if (variant === 'full') return;
  const { SendTracing } = clientRequire('./dist/telemetry/send-tracing.js');
  const telemetry = clientRequire('@tributary/telemetry');
  const { record, indexOf, end } = SendTracing.prototype;
  if (variant === 'nospan' || variant === 'garbage') {
    const garbage = variant === 'garbage';
    const { RandomIdGenerator } = clientRequire('@opentelemetry/sdk-trace-base');
    const ids = new RandomIdGenerator();
    const p = 0.01;
    // The head sampler's geometric count (head-sampling.ts `trialsUntilKept`), its own here.
    const trials = () => Math.floor(Math.log(1 - Math.random()) / Math.log1p(-p)) + 1;
    let countdown = trials();
    // The sampled records' indices, per send call (SendTracing's own are private).
    const sampled = new WeakMap();
    SendTracing.prototype.record = function (partition, key, input, index) {
      if (!isOn()) return record.call(this, partition, key, input, index);
      if (--countdown > 0) return undefined;
      countdown = trials();
      const sc = {
        traceId: telemetry.traceIdWithAccumulation(Math.floor(Math.random() * 0xffffffff * p)),
        spanId: ids.generateSpanId(),
        traceFlags: 1,
      };
      input.headers = [...(input.headers ?? []), ...telemetry.traceHeaders(sc)];
      if (garbage) for (let k = 0; k < 8; k++) garbageSink[k] = new Array(126).fill(k); // 8 x 1 KiB
      if (!sampled.has(this)) sampled.set(this, []);
      sampled.get(this).push(index);
      return telemetry.traceContextField(sc);
    };
    SendTracing.prototype.indexOf = function (k) {
      return sampled.has(this) ? sampled.get(this)[k] : indexOf.call(this, k);
    };
    SendTracing.prototype.end = function (results, error) {
      if (!sampled.has(this)) end.call(this, results, error);
    };
    return;
  }
  // noexport, json: the batch span processor's exporter (the provider's one processor).
  const processor = provider._activeSpanProcessor._spanProcessors[0];
  const exporter = processor._exporter;
  if (exporter === undefined) throw new Error('no batch span processor exporter found');
  if (variant === 'noexport') exporter.export = (_spans, done) => done(SUCCESS);
  else {
    const { otlpJsonOf } = telemetry;
    exporter.export = (spans, done) => {
      if (Buffer.from(otlpJsonOf(spans)).length === 0) throw new Error('empty OTLP/JSON');
      done(SUCCESS);
    };
  }
}
