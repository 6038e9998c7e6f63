import * as grpc from '@grpc/grpc-js';
import { context, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  ERROR_CODE_TRAILER,
  fromGrpcError,
  NotLeaderError,
  TributaryError,
  toGrpcError,
} from '@tributary/errors';
import { traceContextInterceptor } from '@tributary/telemetry';
import {
  type BrokerServiceHandlers,
  createClient,
  GRPC_CHANNEL_OPTIONS,
  getServiceDefinition,
  loadTributaryProto,
  type MetadataResponse__Output,
  type ProduceStreamResponse__Output,
  SERVER_OPTIONS,
  TRIBUTARY_SERVICE_NAMES,
} from './index';

const notImplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) =>
  callback(toGrpcError(new TributaryError('UNIMPLEMENTED')));

/** A BrokerService whose Metadata answers, Produce fails whole-request, ProduceStream echoes. */
/** The `traceparent` metadata of each Metadata call served (undefined when absent). */
const servedTraceparents: (string | undefined)[] = [];

const handlers: BrokerServiceHandlers = {
  Metadata(call, callback) {
    const parent = call.metadata.get('traceparent')[0];
    servedTraceparents.push(parent === undefined ? undefined : String(parent));
    callback(null, {
      clusterId: 'test',
      brokers: [{ brokerId: 1, host: '127.0.0.1', port: 9092 }],
      topics: call.request.topics.map((name) => ({ name, errorCode: 3, errorMessage: 'unknown topic' })),
    });
  },
  Produce(_call, callback) {
    callback(toGrpcError(new NotLeaderError('not the leader', { leaderId: 2 })));
  },
  ProduceStream(call) {
    call.on('data', (request) =>
      call.write({ correlationId: request.correlationId, response: { topics: [] } }),
    );
    call.on('end', () => call.end());
  },
  Fetch: notImplemented,
  ListOffsets: notImplemented,
  FetchStream(call) {
    call.emit('error', toGrpcError(new TributaryError('UNIMPLEMENTED')));
  },
};

describe('createClient against an in-process server', () => {
  let server: grpc.Server;
  let address: string;

  beforeAll(async () => {
    server = new grpc.Server(SERVER_OPTIONS);
    server.addService(getServiceDefinition('BrokerService'), handlers);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err ? reject(err) : resolve(bound),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    server.forceShutdown();
  });

  it('calls a unary RPC with typed requests and responses', async () => {
    const client = createClient('BrokerService', address);
    try {
      const response = await new Promise<MetadataResponse__Output>((resolve, reject) =>
        client.Metadata({ topics: ['missing'] }, (err, value) => (err ? reject(err) : resolve(value!))),
      );
      expect(response.clusterId).toBe('test');
      expect(response.brokers).toEqual([{ brokerId: 1, host: '127.0.0.1', port: 9092, rack: '' }]);
      expect(response.controller).toBeNull();
      expect(response.topics[0]).toMatchObject({ name: 'missing', errorCode: 3, partitions: [] });
    } finally {
      client.close();
    }
  });

  it('carries the active sampled span context as traceparent metadata, and nothing otherwise', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    const client = createClient('BrokerService', address);
    const metadataCall = () =>
      new Promise<void>((resolve, reject) =>
        client.Metadata({ topics: [] }, (err) => (err ? reject(err) : resolve())),
      );
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const inSpan = (traceFlags: TraceFlags) =>
      context.with(
        trace.setSpanContext(context.active(), { traceId, spanId, traceFlags, isRemote: false }),
        metadataCall,
      );
    try {
      servedTraceparents.length = 0;
      await metadataCall();
      await inSpan(TraceFlags.SAMPLED);
      await inSpan(TraceFlags.NONE);
      expect(servedTraceparents).toEqual([undefined, `00-${traceId}-${spanId}-01`, undefined]);
    } finally {
      client.close();
      context.disable();
    }
  });

  it('carries a whole-request error code in the trailer', async () => {
    const client = createClient('BrokerService', address);
    try {
      const err = await new Promise<grpc.ServiceError>((resolve) =>
        client.Produce({ topics: [] }, (error) => resolve(error!)),
      );
      expect(err.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(err.metadata.get(ERROR_CODE_TRAILER)).toEqual(['6']);
      const error = fromGrpcError(err);
      expect(error.errorName).toBe('NOT_LEADER_OR_FOLLOWER');
      expect(error.retriable).toBe(true);
    } finally {
      client.close();
    }
  });

  it('pipelines a bidi stream with correlation ids', async () => {
    const client = createClient('BrokerService', address);
    try {
      const call = client.ProduceStream();
      const received: ProduceStreamResponse__Output[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (response: ProduceStreamResponse__Output) => received.push(response));
        call.on('end', resolve);
        call.on('error', reject);
      });
      for (const id of [1, 2, 3]) call.write({ correlationId: id, request: { topics: [] } });
      call.end();
      await done;
      expect(received.map((r) => r.correlationId)).toEqual(['1', '2', '3']);
      expect(received[0]!.errorCode).toBe(0);
    } finally {
      client.close();
    }
  });
});

describe('createClient', () => {
  it('builds a client of each service without connecting', () => {
    for (const service of TRIBUTARY_SERVICE_NAMES) {
      const client = createClient(service, '127.0.0.1:1');
      expect(client).toBeInstanceOf(grpc.Client);
      client.close();
    }
  });

  it('passes GRPC_CHANNEL_OPTIONS merged with the caller options, which win', () => {
    const v1 = loadTributaryProto().tributary.v1;
    const Original = v1.ControllerService;
    const seen: grpc.ChannelOptions[] = [];
    class Recording extends Original {
      constructor(...args: ConstructorParameters<typeof grpc.Client>) {
        seen.push(args[2] ?? {});
        super(...args);
      }
    }
    v1.ControllerService = Recording;
    try {
      const client = createClient('ControllerService', '127.0.0.1:1', {
        channelOptions: { 'grpc.keepalive_time_ms': 5_000, 'grpc.primary_user_agent': 'test' },
      });
      expect(typeof client.CreateTopics).toBe('function');
      client.close();
    } finally {
      v1.ControllerService = Original;
    }
    // The interceptors (trace context, bearer token) ride on the client options; grpc-js takes
    // them off before building the channel.
    expect(seen).toEqual([
      {
        ...GRPC_CHANNEL_OPTIONS,
        'grpc.keepalive_time_ms': 5_000,
        'grpc.primary_user_agent': 'test',
        interceptors: [traceContextInterceptor, expect.any(Function)],
      },
    ]);
    expect(GRPC_CHANNEL_OPTIONS['grpc-node.flow_control_window']).toBe(8 * 1024 * 1024);
    expect(GRPC_CHANNEL_OPTIONS['grpc.max_receive_message_length']).toBe(64 * 1024 * 1024);
    expect(SERVER_OPTIONS['grpc.max_receive_message_length']).toBe(64 * 1024 * 1024);
    expect(SERVER_OPTIONS['grpc.max_send_message_length']).toBe(64 * 1024 * 1024);
  });
});
