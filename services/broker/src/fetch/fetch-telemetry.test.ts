import * as grpc from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import type { FetchTopicResponse } from '@tributary/proto';
import { startTracing, TEST_PARENT, tracingConfigFromEnv } from '@tributary/telemetry';
import { Registry } from 'prom-client';
import { createBrokerMetrics } from '../metrics';
import { fetchObserver } from './fetch-telemetry';

// The broker's own tracing setup (startTracing, so head sampling applies), exporting to memory.
const exporter = new InMemorySpanExporter();
const tracing = startTracing(tracingConfigFromEnv({}, 'tributary-broker'), { exporter });
const tracer = tracing.tracer;
afterAll(() => tracing.shutdown());
const { traceId: TRACE, spanId: CONSUMER_SPAN } = TEST_PARENT;

const response = (): { topics: FetchTopicResponse[] } => ({
  topics: [
    {
      topic: 'orders',
      partitions: [
        { partition: 0, recordBatches: Buffer.alloc(100) },
        { partition: 3, recordBatches: Buffer.alloc(20) },
      ],
    },
  ],
});

describe('broker FetchStream span shape', () => {
  beforeEach(() => exporter.reset());
  const metrics = () => createBrokerMetrics(new Registry(), { all: () => [] }, '/');

  it('each response is a SERVER span named like the unary call, child of the stream’s traceparent', async () => {
    const m = metrics();
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', `00-${TRACE}-${CONSUMER_SPAN}-01`);
    const observe = fetchObserver(m, tracer, true).stream(metadata);
    const readySince = Date.now() - 40;
    observe(response(), readySince);
    observe(response(), Date.now());
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    const [first] = spans;
    expect(first).toMatchObject({ name: 'tributary.v1.BrokerService/FetchStream', kind: SpanKind.SERVER });
    expect(first!.spanContext().traceId).toBe(TRACE);
    expect(first!.parentSpanContext?.spanId).toBe(CONSUMER_SPAN);
    expect(first!.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'tributary.v1.BrokerService',
      'rpc.method': 'FetchStream',
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'tributary.fetch.partitions': 2,
      'tributary.fetch.bytes': 120,
    });
    // The span covers the wait since the records were ready (max_wait_ms / min_bytes).
    const startMs = first!.startTime[0] * 1000 + first!.startTime[1] / 1e6;
    expect(Math.abs(startMs - readySince)).toBeLessThan(2);
    expect((await m.bytesOut.get()).values).toEqual([
      expect.objectContaining({ labels: { topic: 'orders' }, value: 240 }),
    ]);
  });

  it('a stream opened without a trace context is a root the broker’s sampler decides on', () => {
    fetchObserver(metrics(), tracer, true).stream(new grpc.Metadata())(response(), Date.now());
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
  });

  it('with tracing off: counted, no span', async () => {
    const m = metrics();
    const o = fetchObserver(m, tracer, false);
    o.stream(new grpc.Metadata())(response(), Date.now());
    o.unary(response());
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect((await m.fetchResponses.get()).values.map((v) => [v.labels.kind, v.value])).toEqual([
      ['stream', 1],
      ['unary', 1],
    ]);
  });
});
