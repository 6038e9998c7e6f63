/**
 * The producer's metrics through the real sender: an in-process BrokerService answers the first
 * produce request of a partition with NOT_LEADER_OR_FOLLOWER (retriable) and the next with an
 * offset; an OpenTelemetry SDK MeterProvider collects what the producer recorded.
 */
import type * as grpc from '@grpc/grpc-js';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { ClientMetricName } from '@tributary/telemetry';
import { oneBrokerMetadata, startFakeBroker } from '../producer/fake-broker.test-support';
import { Producer } from '../producer/producer';

/** Collects on demand (no export loop). */
class OnDemandReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const NOT_LEADER = 6;

describe('producer metrics', () => {
  let server: grpc.Server;
  let port: number;
  let produceRequests = 0;

  beforeAll(async () => {
    ({ server, port } = await startFakeBroker((request, reply) => {
      const first = produceRequests++ === 0;
      reply({
        topics: request.request!.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            errorCode: first ? NOT_LEADER : 0,
            baseOffset: first ? -1 : 0,
            logAppendTimeMs: -1,
            logStartOffset: 0,
          })),
        })),
      });
    }));
  });

  afterAll(() => server.forceShutdown());

  it('counts records sent, batch bytes and records, and retries by error type', async () => {
    const reader = new OnDemandReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const metadata = oneBrokerMetadata(port, 'orders', 1);
    const producer = new Producer({
      metadata,
      acks: 1,
      lingerMs: 0,
      retryBackoffMs: 1,
      clientId: 'metrics-test',
      meterProvider,
    });
    try {
      await producer.send({ topic: 'orders', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    } finally {
      await producer.disconnect();
    }
    expect(produceRequests).toBe(2);

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const points = (name: string) => all.find((m) => m.descriptor.name === name)?.dataPoints ?? [];

    const sent = points(ClientMetricName.sentMessages) as DataPoint<number>[];
    expect(
      sent.map((p) => [p.value, p.attributes['messaging.destination.name'], p.attributes['error.type']]),
    ).toEqual([[3, 'orders', undefined]]);
    expect(sent[0]!.attributes['messaging.client.id']).toBe('metrics-test');

    // The batch is counted once, as first sent, not again on its retry.
    const bytes = points(ClientMetricName.batchSize) as DataPoint<Histogram>[];
    expect(bytes).toHaveLength(1);
    expect(bytes[0]!.value.count).toBe(1);
    expect(bytes[0]!.value.sum).toBeGreaterThan(61); // a RecordBatch v2 header is 61 bytes
    const records = points(ClientMetricName.batchRecords) as DataPoint<Histogram>[];
    expect(records[0]!.value.sum).toBe(3);

    const retries = points(ClientMetricName.retries) as DataPoint<number>[];
    expect(retries.map((p) => [p.value, p.attributes['error.type']])).toEqual([
      [1, 'NOT_LEADER_OR_FOLLOWER'],
    ]);
    await meterProvider.shutdown();
  });
});
