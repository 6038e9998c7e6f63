/**
 * An in-process BrokerService for the producer's unit tests (test support, not built into the
 * package): every RPC is UNIMPLEMENTED but ProduceStream, whose requests go to the test's
 * `onProduce`, with a `reply` that writes the answer to that request; and the metadata of one
 * broker leading every partition of one topic. Each test decides how it answers (at once, held
 * until acknowledged, with an error), the wiring is here once.
 */
import * as grpc from '@grpc/grpc-js';
import {
  type BrokerServiceHandlers,
  getServiceDefinition,
  type MetadataResponse__Output,
  type ProduceResponse,
  type ProduceStreamRequest__Output,
  SERVER_OPTIONS,
} from '@tributary/proto';

export interface FakeBroker {
  readonly port: number;
  readonly server: grpc.Server;
}

export async function startFakeBroker(
  onProduce: (request: ProduceStreamRequest__Output, reply: (response: ProduceResponse) => void) => void,
): Promise<FakeBroker> {
  const unimplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
    callback({ code: grpc.status.UNIMPLEMENTED } as grpc.ServiceError);
  const handlers: BrokerServiceHandlers = {
    Metadata: unimplemented,
    Produce: unimplemented,
    Fetch: unimplemented,
    ListOffsets: unimplemented,
    FetchStream: (call) => call.end(),
    ProduceStream(call) {
      call.on('data', (request: ProduceStreamRequest__Output) =>
        onProduce(request, (response) => call.write({ correlationId: request.correlationId, response })),
      );
      call.on('end', () => call.end());
    },
  };
  const server = new grpc.Server(SERVER_OPTIONS);
  server.addService(getServiceDefinition('BrokerService'), handlers as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return { port, server };
}

/** A producer's `metadata` source: broker 0 on `port` leads partitions 0..partitions-1 of `topic`. */
export function oneBrokerMetadata(
  port: number,
  topic: string,
  partitions: number,
): () => Promise<MetadataResponse__Output> {
  return async () =>
    ({
      brokers: [{ brokerId: 0, host: '127.0.0.1', port, rack: '' }],
      topics: [
        {
          name: topic,
          errorCode: 0,
          errorMessage: '',
          partitions: Array.from({ length: partitions }, (_, partition) => ({
            partition,
            leaderId: 0,
            leaderEpoch: '1',
            replicas: [0],
            isr: [0],
          })),
        },
      ],
    }) as unknown as MetadataResponse__Output;
}
