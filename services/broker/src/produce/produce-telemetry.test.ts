import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { ProduceRequest__Output } from '@tributary/proto';
import { inMemoryTracer, startTracing, TEST_PARENT, tracingConfigFromEnv } from '@tributary/telemetry';
import { Registry } from 'prom-client';
import { createBrokerMetrics } from '../metrics';
import { produceObserver } from './produce-telemetry';

// The broker's own tracing (startTracing: its spans are the head sampler's lean spans, sampler
// parent-based as in bench:tracing) and a plain SDK tracer: the same span shapes.
const brokerExporter = new InMemorySpanExporter();
const brokerTracing = startTracing(
  tracingConfigFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }, 'tributary-broker'),
  { exporter: brokerExporter },
);
afterAll(() => brokerTracing.shutdown());
const setups = [
  ['an SDK tracer', inMemoryTracer()],
  ['the broker’s startTracing', { tracer: brokerTracing.tracer, exporter: brokerExporter }],
] as const;
const { traceId: TRACE, spanId: SEND } = TEST_PARENT;

const request = (traced: boolean): ProduceRequest__Output =>
  ({
    acks: -1,
    timeoutMs: 0,
    topics: [
      {
        topic: 'orders',
        partitions: [{ partition: 1, data: 'recordBatches', recordBatches: Buffer.alloc(10) }],
      },
    ],
    ...(traced ? { traceContext: { traceparent: `00-${TRACE}-${SEND}-01`, tracestate: '' } } : {}),
  }) as unknown as ProduceRequest__Output;

describe.each(setups)('broker produce span shapes (%s)', (_, { tracer, exporter }) => {
  beforeEach(() => exporter.reset());
  const metrics = () => createBrokerMetrics(new Registry(), { all: () => [] }, '/');

  it('a traced request from a client that marks no partition: every partition is traced', async () => {
    const scope = produceObserver(metrics(), tracer, true).begin(request(true), 1);
    scope.append('orders', 1, false, 10, () => 0);
    scope.append('orders', 2, false, 10, () => 0);
    scope.end();
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'append orders')).toHaveLength(2);
  });

  it('a traced request with a marked partition: only that partition’s append and wait are spans', async () => {
    const req = request(true);
    const partitions = req.topics[0]!.partitions as unknown as { partition: number; traced: boolean }[];
    partitions.push({ ...partitions[0]!, partition: 2 });
    partitions[1]!.traced = true;
    const scope = produceObserver(metrics(), tracer, true).begin(req, -1);
    scope.append('orders', 1, false, 10, () => 0);
    scope.append('orders', 2, true, 10, () => 0);
    scope.replicationWait('orders', 1, false, () => undefined)(undefined);
    scope.replicationWait('orders', 2, true, () => undefined)(undefined);
    scope.end();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['append orders', 'produce', 'replication wait orders']);
    for (const s of spans.filter((x) => x.name !== 'produce'))
      expect(s.attributes['messaging.destination.partition.id']).toBe('2');
  });

  it('a traced request: produce (SERVER, child of the send) with append and replication wait under it', async () => {
    const m = metrics();
    const scope = produceObserver(m, tracer, true).begin(request(true), -1);
    const offset = scope.append('orders', 1, false, 10, () => 7);
    expect(offset).toBe(7);
    scope.replicationWait('orders', 1, false, () => undefined)(undefined);
    scope.end();
    const spans = exporter.getFinishedSpans();
    const produce = spans.find((s) => s.name === 'produce')!;
    expect(produce.kind).toBe(SpanKind.SERVER);
    expect(produce.spanContext().traceId).toBe(TRACE);
    expect(produce.parentSpanContext?.spanId).toBe(SEND);
    expect(produce.attributes).toMatchObject({ 'messaging.system': 'kafka', 'tributary.produce.acks': -1 });
    for (const name of ['append orders', 'replication wait orders']) {
      const child = spans.find((s) => s.name === name)!;
      expect(child.parentSpanContext?.spanId).toBe(produce.spanContext().spanId);
      expect(child.attributes).toMatchObject({
        'messaging.destination.name': 'orders',
        'messaging.destination.partition.id': '1',
      });
    }
    expect((await m.bytesIn.get()).values).toEqual([
      expect.objectContaining({ labels: { topic: 'orders' }, value: 10 }),
    ]);
  });

  it('an untraced request costs no span but is counted', async () => {
    const m = metrics();
    const scope = produceObserver(m, tracer, true).begin(request(false), 1);
    scope.append('orders', 1, false, 10, () => 0);
    scope.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect((await m.produceRequests.get()).values[0]).toMatchObject({ labels: { acks: '1' }, value: 1 });
  });

  it('a failed replication wait marks its span as an error', async () => {
    const scope = produceObserver(metrics(), tracer, true).begin(request(true), -1);
    scope.replicationWait('orders', 1, false, () => undefined)(new Error('REQUEST_TIMED_OUT'));
    scope.end();
    expect(exporter.getFinishedSpans().find((s) => s.name === 'replication wait orders')!.status.code).toBe(
      2,
    );
  });
});
