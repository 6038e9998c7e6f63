import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { RecordInput } from '@tributary/record-batch';
import { startTracing, type Tracing, tracingConfigFromEnv } from '@tributary/telemetry';
import type { ConsumerMessage } from '../consumer/types';
import { processBatch, processMessage } from './process-tracing';
import { endSendSpans, SendTracing, startSendSpan } from './send-tracing';

const exporter = new InMemorySpanExporter();
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

describe('client span shapes', () => {
  it('a sampled send is a PRODUCER span and writes its traceparent into the record', () => {
    const input: RecordInput = { key: Buffer.from('order-7'), value: Buffer.from('v') };
    const traced = startSendSpan('orders', 2, input.key, input, 'app-1');
    expect(traced).toBeDefined();
    const sc = traced!.span.spanContext();
    expect(input.headers).toEqual([
      { key: 'traceparent', value: Buffer.from(`00-${sc.traceId}-${sc.spanId}-01`) },
    ]);
    expect(traced!.context.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`);
    endSendSpans(
      [{ index: 0, span: traced!.span }],
      [{ topic: 'orders', partition: 2, offset: 41, timestamp: 1 }],
    );
    const [span] = exporter.getFinishedSpans();
    expect(span).toMatchObject({ name: 'send orders', kind: SpanKind.PRODUCER });
    expect(span!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.destination.partition.id': '2',
      'messaging.kafka.message.key': 'order-7',
      'messaging.kafka.offset': 41,
      'messaging.client.id': 'app-1',
    });
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
    const spans: { index: number; span: ReturnType<typeof startSendSpan> }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const input: RecordInput = { key: null, value: Buffer.from('v'), headers: undefined };
      inputs.push(input);
      const traced = tracing.record(i % 6, null, input);
      if (traced !== undefined) {
        expect(traced.context.traceparent).toBe(input.headers![0]!.value!.toString());
        spans.push({ index: i, span: traced });
      }
    }
    // Binomial(20,000, 0.01): mean 200, sd 14; the bounds are 7 sd away.
    expect(spans.length).toBeGreaterThan(100);
    expect(spans.length).toBeLessThan(300);
    const withHeaders = inputs.filter((r) => r.headers !== undefined);
    expect(withHeaders).toHaveLength(spans.length);
    for (const r of withHeaders) expect(r.headers!.map((h) => h.key)).toEqual(['traceparent']);
    endSendSpans(
      spans.map(({ index, span }) => ({ index, span: span!.span })),
      undefined,
    );
    expect(exporter.getFinishedSpans()).toHaveLength(spans.length);
  });

  it('process is a CONSUMER span, child of and linked to the producer’s send, with the record’s attributes', async () => {
    const input: RecordInput = { key: null, value: Buffer.from('v') };
    const traced = startSendSpan('orders', 2, null, input, 'app')!;
    endSendSpans([{ index: 0, span: traced.span }], undefined);
    const sent = traced.span.spanContext();
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
      t.span.end();
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
