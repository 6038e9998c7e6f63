/**
 * The producer's metrics through the real sender: an in-process BrokerService answers the first
 * produce request of a partition with NOT_LEADER_OR_FOLLOWER (retriable) and the next with an
 * offset; an OpenTelemetry SDK MeterProvider collects what the producer recorded.
 */
import * as grpc from '@grpc/grpc-js';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  type BrokerServiceHandlers,
  getServiceDefinition,
  type MetadataResponse__Output,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { ClientMetricName } from '@tributary/telemetry';
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
    const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
      callback({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
    const handlers: BrokerServiceHandlers = {
      Metadata: unimplemented,
      Produce: unimplemented,
      Fetch: unimplemented,
      ListOffsets: unimplemented,
      FetchStream: (call) => call.end(),
      ProduceStream(call) {
        call.on('data', (request) => {
          const first = produceRequests++ === 0;
          call.write({
            correlationId: request.correlationId,
            response: {
              topics: request.request.topics.map(
                (t: { topic: string; partitions: { partition: number }[] }) => ({
                  topic: t.topic,
                  partitions: t.partitions.map((p) => ({
                    partition: p.partition,
                    errorCode: first ? NOT_LEADER : 0,
                    baseOffset: first ? -1 : 0,
                    logAppendTimeMs: -1,
                    logStartOffset: 0,
                  })),
                }),
              ),
            },
          });
        });
        call.on('end', () => call.end());
      },
    };
    server = new grpc.Server(SERVER_OPTIONS);
    server.addService(getServiceDefinition('BrokerService'), handlers as grpc.UntypedServiceImplementation);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
  });

  afterAll(() => server.forceShutdown());

  it('counts records sent, batch bytes and records, and retries by error type', async () => {
    const reader = new OnDemandReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const metadata = async (): Promise<MetadataResponse__Output> =>
      ({
        brokers: [{ brokerId: 0, host: '127.0.0.1', port, rack: '' }],
        topics: [
          {
            name: 'orders',
            errorCode: 0,
            errorMessage: '',
            partitions: [{ partition: 0, leaderId: 0, leaderEpoch: '1', replicas: [0], isr: [0] }],
          },
        ],
      }) as unknown as MetadataResponse__Output;
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
