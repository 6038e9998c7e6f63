import * as grpc from '@grpc/grpc-js';
import {
  type BrokerServiceHandlers,
  getServiceDefinition,
  type MetadataRequest__Output,
  type MetadataResponse,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { Cluster } from './cluster';

/** A broker whose Metadata answers after `delayMs`, counting the requests per topic list. */
async function startMetadataBroker(delayMs: number) {
  const asked: string[][] = [];
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
  let port = 0;
  const handlers: BrokerServiceHandlers = {
    Metadata(call, callback) {
      const request = call.request as MetadataRequest__Output;
      asked.push([...request.topics]);
      const response: MetadataResponse = {
        brokers: [{ brokerId: 0, host: '127.0.0.1', port, rack: '' }],
        topics: request.topics.map((name) => ({
          name,
          errorCode: 0,
          errorMessage: '',
          partitions: [{ partition: 0, leaderId: 0, leaderEpoch: asked.length, replicas: [0], isr: [0] }],
        })),
      };
      setTimeout(() => callback(null, response), delayMs);
    },
    Produce: unimplemented,
    Fetch: unimplemented,
    ListOffsets: unimplemented,
    FetchStream: (call) => call.end(),
    ProduceStream: (call) => call.end(),
  };
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(getServiceDefinition('BrokerService'), handlers as grpc.UntypedServiceImplementation);
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { port, server, asked };
}

describe('Cluster.metadata', () => {
  let broker: Awaited<ReturnType<typeof startMetadataBroker>>;
  let cluster: Cluster;

  beforeEach(async () => {
    broker = await startMetadataBroker(100);
    cluster = new Cluster({
      bootstrap: [`127.0.0.1:${broker.port}`],
      requestTimeoutMs: 5000,
      retry: { retries: 1, initialRetryTimeMs: 10, maxRetryTimeMs: 50 },
    });
  });

  afterEach(async () => {
    cluster.close();
    await new Promise<void>((resolve) => broker.server.tryShutdown(() => resolve()));
  });

  test('calls for the same topics while one is on the wire share its answer', async () => {
    const answers = await Promise.all([
      cluster.metadata(['a']),
      cluster.metadata(['a']),
      cluster.metadata(['a']),
      cluster.metadata(['a']),
    ]);
    expect(broker.asked).toEqual([['a']]);
    for (const md of answers) expect(md).toBe(answers[0]);
  });

  test('other topics, and a call after the answer came, ask again', async () => {
    const [a, b, all] = await Promise.all([
      cluster.metadata(['a']),
      cluster.metadata(['b']),
      cluster.metadata(),
    ]);
    expect(a.topics.map((t) => t.name)).toEqual(['a']);
    expect(b.topics.map((t) => t.name)).toEqual(['b']);
    expect(all.topics).toEqual([]);
    expect(broker.asked).toHaveLength(3);
    const again = await cluster.metadata(['a']);
    expect(broker.asked).toHaveLength(4);
    expect(again).not.toBe(a);
    expect(Number(again.topics[0]!.partitions[0]!.leaderEpoch)).toBe(4);
  });
});
