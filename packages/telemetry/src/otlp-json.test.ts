import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { hrTimeToNanosString, otlpJsonOf } from './otlp-json';

const reference = (spans: ReadableSpan[]) =>
  JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));

/** Ended spans of two resources and two scopes, with every kind of field the serializer writes. */
function spans(): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (const resource of [
    resourceFromAttributes({ 'service.name': 'a', 'service.instance.id': 'i"1' }),
    resourceFromAttributes({ 'service.name': 'b', n: 3, f: 1.5, ok: true }),
  ]) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource,
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=x,other=y'),
    });
    const t1 = provider.getTracer('tributary');
    const t2 = provider.getTracer('other', '1.2.3', { schemaUrl: 'https://example.com/s' });
    const root = t1.startSpan('send t', {
      kind: SpanKind.PRODUCER,
      attributes: {
        s: 'x\u00e9\n"q"',
        i: 42,
        neg: -7,
        d: 0.25,
        b: false,
        arr: ['a', 'b'],
        nums: [1, 2.5],
        bytes: new Uint8Array([1, 2, 250]) as unknown as string,
      },
    });
    root.addEvent('joined', { 'messaging.consumer.group.name': 'g', gen: 3 });
    root.addEvent('bare');
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom "x"' });
    root.end();
    const child = t1.startSpan('process t', { kind: SpanKind.CONSUMER }, remote);
    child.addLink({ context: trace.getSpanContext(remote)!, attributes: { why: 'producer' } });
    child.addLink({ context: root.spanContext() });
    child.setStatus({ code: SpanStatusCode.OK });
    child.end();
    const local = t2.startSpan('append t', {}, trace.setSpan(context.active(), root));
    local.end();
    t2.startSpan('internal').end();
    out.push(...exporter.getFinishedSpans());
  }
  return out;
}

describe('OTLP/JSON written from spans', () => {
  it('is the JSON the SDK serializer writes, for every field, resource and scope', () => {
    const all = spans();
    expect(JSON.parse(otlpJsonOf(all))).toEqual(reference(all));
    expect(JSON.parse(otlpJsonOf([]))).toEqual(reference([]));
  });

  it('writes nanosecond timestamps without BigInt, as the SDK does with it', () => {
    for (const t of [
      [0, 0],
      [0, 5],
      [1, 0],
      [1_796_122_956, 349_000_001],
      [1_796_122_956, 999_999_999],
      [12, 5],
    ] as [number, number][])
      expect(hrTimeToNanosString(t)).toBe((BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString());
  });
});
