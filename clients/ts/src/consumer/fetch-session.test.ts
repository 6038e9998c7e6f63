import * as grpc from '@grpc/grpc-js';
import {
  type BrokerServiceClient,
  type BrokerServiceHandlers,
  createClient,
  type FetchStreamRequest__Output,
  getServiceDefinition,
  SERVER_OPTIONS,
} from '@tributary/proto';
import { FetchSession } from './fetch-session';

const MiB = 1024 * 1024;

/** A broker whose FetchStream keeps every client message and answers `start` with one empty response. */
async function startBroker() {
  const messages: FetchStreamRequest__Output[] = [];
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
  const handlers: BrokerServiceHandlers = {
    Metadata: unimplemented,
    Produce: unimplemented,
    Fetch: unimplemented,
    ListOffsets: unimplemented,
    ProduceStream: (call) => call.end(),
    FetchStream(call) {
      call.on('data', (m: FetchStreamRequest__Output) => {
        messages.push(m);
        if (m.kind === 'start') call.write({ topics: [] });
      });
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  };
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(getServiceDefinition('BrokerService'), handlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { port, server, messages };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('FetchSession', () => {
  let broker: Awaited<ReturnType<typeof startBroker>>;
  let client: BrokerServiceClient;
  let session: FetchSession | undefined;

  beforeEach(async () => {
    broker = await startBroker();
    client = createClient('BrokerService', `127.0.0.1:${broker.port}`);
  });

  afterEach(async () => {
    session?.close();
    client.close();
    await new Promise<void>((resolve) => broker.server.tryShutdown(() => resolve()));
  });

  const open = (maxBytes: number, responses: number[]) => {
    session = new FetchSession(
      client,
      'broker',
      { maxWaitMs: 100, minBytes: 1, maxBytes, partitionMaxBytes: MiB, maxPrefetchBytes: 64 * MiB },
      { onResponse: () => responses.push(Date.now()), onEnd: () => undefined },
    );
  };

  test('asks for one response of at most 1 MiB, then for maxBytes and the other responses', async () => {
    const responses: number[] = [];
    open(8 * MiB, responses);
    await until(() => broker.messages.length >= 3);
    const [start, update, credit] = broker.messages;
    expect(start!.start!.settings!.maxBytes).toBe(MiB);
    expect(start!.start!.credit).toEqual({ responses: 1, bytes: 16 * MiB });
    expect(responses).toHaveLength(1);
    expect(update!.update!.settings).toMatchObject({ maxBytes: 8 * MiB, minBytes: 1, maxWaitMs: 100 });
    expect(credit!.credit).toEqual({ responses: 31, bytes: 0 });
  });

  test('with maxBytes of 1 MiB or less, starts with it and sends no settings after', async () => {
    const responses: number[] = [];
    open(MiB / 2, responses);
    await until(() => responses.length >= 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(broker.messages).toHaveLength(1);
    expect(broker.messages[0]!.start!.settings!.maxBytes).toBe(MiB / 2);
    expect(broker.messages[0]!.start!.credit!.responses).toBe(32);
  });
});
