import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { tracingConfigFromEnv } from './env-config';
import { startSampledSpan } from './head-sampling';
import { LeanSpan } from './lean-span';
import { startTracing, TRACER_NAME, type Tracing } from './tracing';

const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
beforeEach(() => {
  trace.disable();
  context.disable();
  propagation.disable();
  exporter.reset();
  tracing = startTracing(tracingConfigFromEnv({ OTEL_TRACES_SAMPLER: 'always_on' }, 'unit'), { exporter });
});
afterEach(async () => {
  await tracing?.shutdown();
  trace.disable();
});

const parent = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

/** What export reads of a span, ids and times left out. */
const shape = (s: ReadableSpan) => ({
  name: s.name,
  kind: s.kind,
  traceId: s.spanContext().traceId,
  traceFlags: s.spanContext().traceFlags,
  parent: s.parentSpanContext,
  attributes: s.attributes,
  links: s.links,
  events: s.events.map((e) => ({
    name: e.name,
    attributes: e.attributes,
    droppedAttributesCount: e.droppedAttributesCount,
  })),
  status: s.status,
  resource: s.resource.attributes,
  scope: s.instrumentationScope,
  dropped: [s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount],
  ended: s.ended,
  durationOk: s.duration[0] >= 0 && s.duration[1] >= 0,
  endAfterStart: s.endTime[0] * 1e9 + s.endTime[1] >= s.startTime[0] * 1e9 + s.startTime[1],
});

function exercise(tracer: Tracer): ReadableSpan {
  const span = startSampledSpan(
    tracer,
    'process t',
    SpanKind.CONSUMER,
    () => ({
      attributes: { 'messaging.system': 'kafka', 'messaging.kafka.offset': 7, skipped: undefined },
      links: [{ context: trace.getSpanContext(parent)!, attributes: { a: 'b' } }],
    }),
    parent,
  )!;
  span.setAttribute('messaging.batch.message_count', 3);
  span.addEvent('joined', { gen: 2 });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.end();
  span.setAttribute('after.end', 1);
  const [ended] = exporter.getFinishedSpans();
  exporter.reset();
  return ended!;
}

describe('lean spans (the spans the head sampler keeps)', () => {
  it('are what the global tracer of startTracing starts, and export the shape the SDK span has', () => {
    const lean = exercise(trace.getTracer(TRACER_NAME));
    expect(lean).toBeInstanceOf(LeanSpan);
    // A tracer that is not the provider's own object (a wrapper) starts the SDK's span.
    const real = trace.getTracer(TRACER_NAME);
    const wrapper = {
      startSpan: real.startSpan.bind(real),
      startActiveSpan: real.startActiveSpan.bind(real),
    } as Tracer;
    const sdk = exercise(wrapper);
    expect(sdk).not.toBeInstanceOf(LeanSpan);
    expect(shape(lean)).toEqual(shape(sdk));
    expect(lean.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(lean.spanContext().spanId).not.toBe(sdk.spanContext().spanId);
  });
});
