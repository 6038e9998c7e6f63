import { context, propagation, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { RecordInput } from '@tributary/record-batch';
import {
  FlatSpanExport,
  flatRequestBody,
  otlpJsonOf,
  readFlatRecords,
  startTracing,
  type Tracing,
  tracingConfigFromEnv,
} from '@tributary/telemetry';
import type { ConsumerMessage } from '../consumer/types';
import { FlatSendSpan, FlatSends } from './flat-send-spans';
import { processBatch, processMessage } from './process-tracing';
import { SendTracing, startSendSpan } from './send-tracing';

const exporter = new InMemorySpanExporter();
const tracing0Resource = () => resourceFromAttributes({ 'service.name': 'unit', 'a.b': 'c' });
let tracing: Tracing;

function start(env: Record<string, string>): void {
  trace.disable();
  context.disable();
  propagation.disable();
  tracing = startTracing(tracingConfigFromEnv(env, 'unit'), { exporter });
}

beforeEach(() => {
  exporter.reset();
  start({ OTEL_TRACES_SAMPLER: 'always_on' });
});
afterAll(() => tracing.shutdown());

const message = (headers: { key: string; value: Buffer | null }[]): ConsumerMessage<string, string> => ({
  topic: 'orders',
  partition: 2,
  offset: 41,
  timestamp: 0,
  key: 'order-7',
  value: 'v',
  headers,
  leaderEpoch: 0,
});

/** A remote sampled parent with a trace state, as an application's incoming context. */
const parent = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('vendor=x'),
};

describe('client span shapes', () => {
  it('a sampled send is a PRODUCER span and writes its traceparent into the record', () => {
    const input: RecordInput = { key: Buffer.from('order-7'), value: Buffer.from('v') };
    const traced = startSendSpan('orders', 2, input.key, input, 'app-1');
    expect(traced).toBeDefined();
    const sc = traced!.tracing.spanContextOf(0);
    expect(input.headers).toEqual([
      { key: 'traceparent', value: Buffer.from(`00-${sc.traceId}-${sc.spanId}-01`) },
    ]);
    expect(traced!.context.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`);
    expect(exporter.getFinishedSpans()).toHaveLength(0); // not ended before its acknowledgement
    traced!.tracing.end([{ topic: 'orders', partition: 2, offset: 41, timestamp: 1 }]);
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: 'send orders', kind: SpanKind.PRODUCER });
    expect(span!.spanContext()).toMatchObject({ traceId: sc.traceId, spanId: sc.spanId, traceFlags: 1 });
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.ended).toBe(true);
    expect(span!.status.code).toBe(0);
    expect(span!.duration[0] * 1e9 + span!.duration[1]).toBeGreaterThanOrEqual(0);
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.message.key': 'order-7',
      'messaging.kafka.offset': 41,
      'messaging.client.id': 'app-1',
    });
  });

  it('a send span kept as data exports as an SDK span would: OTLP/JSON, error status, parent and trace state', () => {
    const traced = context.with(trace.setSpanContext(context.active(), parent), () => {
      const tracing = new SendTracing('orders', 'app');
      const inputs: RecordInput[] = [0, 1].map((i) => ({
        key: i === 0 ? Buffer.from('k\u00e9y') : null,
        value: Buffer.from('v'),
        headers: [{ key: 'app', value: Buffer.from('1') }],
      }));
      for (const [i, input] of inputs.entries()) tracing.record(i, input.key, input, i);
      return { tracing, inputs };
    });
    expect(traced.tracing.sampled).toBe(2); // the parent is sampled: every record
    const sc = traced.tracing.spanContextOf(1);
    expect(sc.traceId).toBe(parent.traceId);
    expect(traced.inputs[1]!.headers).toEqual([
      { key: 'app', value: Buffer.from('1') },
      { key: 'traceparent', value: Buffer.from(`00-${parent.traceId}-${sc.spanId}-01`) },
      { key: 'tracestate', value: Buffer.from('vendor=x') },
    ]);
    traced.tracing.end(undefined, new Error('broker gone'));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.parentSpanContext?.spanId).toBe(parent.spanId);
      expect(span.spanContext().traceState?.serialize()).toBe('vendor=x');
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'broker gone' });
    }
    expect(spans[0]!.attributes['messaging.kafka.message.key']).toBe('k\u00e9y');
    // The OTLP/JSON written from the data is the SDK serializer's for the same spans.
    const reference = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
    expect(JSON.parse(otlpJsonOf(spans))).toEqual(reference);
  });

  it('send spans written into the export ring export the same OTLP/JSON as in-process ones', async () => {
    const strings: string[] = [];
    const groups = new Map<number, string[]>();
    const flatExport = new FlatSpanExport(
      {
        url: 'http://127.0.0.1:1',
        headers: {},
        exportDelayMs: 1000,
        maxExportBatchSize: 1024,
        ringBytes: 1 << 16,
      },
      (data, from, to) => void readFlatRecords(data, from, to, strings, groups),
    );
    const sink = {
      processor: new SimpleSpanProcessor(exporter),
      resource: tracing0Resource(),
      scope: { name: 'tributary' },
      flatExport,
    };
    const withParent = new FlatSends(sink, parent, context.active(), 'send orders', 'orders', 'app');
    withParent.add(Buffer.from(`00-${parent.traceId}-00f067aa0ba902b7-01`), 3, Buffer.from('k\u00e9y"'));
    withParent.add(Buffer.from(`00-${parent.traceId}-00f067aa0ba902b8-01`), 4, null);
    withParent.end(() => -1, new Error('broker "gone"'));
    const root = new FlatSends(sink, undefined, context.active(), 'send other', 'other', 'app');
    root.add(Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b9-01'), 0, Buffer.alloc(0));
    root.end((k) => 1234567 + k);
    await flatExport.flush();
    expect(exporter.getFinishedSpans()).toHaveLength(0); // none went through the processor
    const spans = [
      new FlatSendSpan(withParent, 0),
      new FlatSendSpan(withParent, 1),
      new FlatSendSpan(root, 0),
    ];
    expect(JSON.parse(flatRequestBody(groups, strings))).toEqual(JSON.parse(otlpJsonOf(spans)));
  });

  it('under an application’s own SDK, a send starts SDK spans through its tracer', () => {
    trace.disable();
    const own = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(own)] }),
    );
    const input: RecordInput = { key: null, value: Buffer.from('v') };
    const traced = startSendSpan('orders', 1, null, input, 'app')!;
    const sc = traced.tracing.spanContextOf(0);
    expect(traced.context.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`);
    traced.tracing.end([{ topic: 'orders', partition: 1, offset: 7, timestamp: 1 }]);
    const [span] = own.getFinishedSpans();
    expect(span!.constructor.name).toBe('SpanImpl');
    expect(span!.attributes).toMatchObject({
      'messaging.destination.partition.id': '1',
      'messaging.kafka.offset': 7,
    });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('an unsampled send costs no header bytes and exports nothing', () => {
    start({ OTEL_TRACES_SAMPLER: 'always_off' });
    const input: RecordInput = { key: null, value: Buffer.from('v') };
    expect(startSendSpan('orders', 0, null, input, 'app')).toBeUndefined();
    expect(input.headers).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('at 1 %, only the sampled records of a send call get a span and a header; the rest nothing', () => {
    start({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.01' });
    const tracing = new SendTracing('orders', 'app');
    const inputs: RecordInput[] = [];
    const spans: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const input: RecordInput = { key: null, value: Buffer.from('v'), headers: undefined };
      inputs.push(input);
      const traced = tracing.record(i % 6, null, input, i);
      if (traced !== undefined) {
        expect(traced.traceparent).toBe(input.headers![0]!.value!.toString());
        spans.push(i);
      }
    }
    // Binomial(20,000, 0.01): mean 200, sd 14; the bounds are 7 sd away.
    expect(spans.length).toBeGreaterThan(100);
    expect(spans.length).toBeLessThan(300);
    const withHeaders = inputs.filter((r) => r.headers !== undefined);
    expect(withHeaders).toHaveLength(spans.length);
    for (const r of withHeaders) expect(r.headers!.map((h) => h.key)).toEqual(['traceparent']);
    expect(Array.from({ length: tracing.sampled }, (_, k) => tracing.indexOf(k))).toEqual(spans);
    tracing.end(undefined);
    const ended = exporter.getFinishedSpans();
    expect(ended).toHaveLength(spans.length);
    // Each span's ids are its record's header; each trace id passes the SDK's ratio sampler.
    const bound = Math.floor(0.01 * 0xffffffff);
    for (const [k, span] of ended.entries()) {
      const { traceId, spanId } = span.spanContext();
      expect(inputs[spans[k]!]!.headers![0]!.value!.toString()).toBe(`00-${traceId}-${spanId}-01`);
      let acc = 0;
      for (let w = 0; w < 4; w++) acc = (acc ^ Number.parseInt(traceId.slice(8 * w, 8 * w + 8), 16)) >>> 0;
      expect(acc).toBeLessThan(bound);
      expect(span.attributes['messaging.destination.partition.id']).toBe(String(spans[k]! % 6));
      expect(span.attributes['messaging.kafka.offset']).toBeUndefined();
    }
  });

  it('process is a CONSUMER span, child of and linked to the producer’s send, with the record’s attributes', async () => {
    const input: RecordInput = { key: null, value: Buffer.from('v') };
    const traced = startSendSpan('orders', 2, null, input, 'app')!;
    traced.tracing.end(undefined);
    const sent = traced.tracing.spanContextOf(0);
    let inside: string | undefined;
    await processMessage(message(input.headers as { key: string; value: Buffer }[]), 'billing', () => {
      inside = trace.getSpanContext(context.active())?.traceId;
    });
    const processSpan = exporter.getFinishedSpans().find((s) => s.name === 'process orders')!;
    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan.spanContext().traceId).toBe(sent.traceId);
    expect(processSpan.parentSpanContext?.spanId).toBe(sent.spanId);
    expect(processSpan.links.map((l) => l.context.spanId)).toEqual([sent.spanId]);
    expect(processSpan.attributes).toMatchObject({
      'messaging.consumer.group.name': 'billing',
      'messaging.kafka.offset': 41,
      'messaging.kafka.message.key': 'order-7',
      'messaging.destination.partition.id': '2',
    });
    expect(inside).toBe(sent.traceId);
  });

  it('a record without trace headers is processed without a span', async () => {
    let ran = false;
    await processMessage(message([]), 'billing', () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('a batch process span links every traced record and starts its own trace', async () => {
    const headers = [0, 1].map(() => {
      const input: RecordInput = { key: null, value: null };
      const t = startSendSpan('orders', 0, null, input, 'app')!;
      t.tracing.end(undefined);
      return input.headers as { key: string; value: Buffer }[];
    });
    await processBatch(
      'orders',
      0,
      'g',
      [message(headers[0]!), message([]), message(headers[1]!)],
      () => undefined,
    );
    const span = exporter.getFinishedSpans().find((s) => s.name === 'process orders')!;
    expect(span.links).toHaveLength(2);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['messaging.batch.message_count']).toBe(3);
  });
});
