import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ERROR_CODE_TRAILER } from '@tributary/errors';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { handlersWithUnimplemented, startGrpcServer } from './grpc-server';
import { createLogger } from './logger';

const definition = {
  Echo: { path: '/t.S/Echo', requestStream: false, responseStream: false },
  Watch: { path: '/t.S/Watch', requestStream: false, responseStream: true },
} as unknown as grpc.ServiceDefinition;

describe('handlersWithUnimplemented', () => {
  it('answers UNIMPLEMENTED naming the method, and keeps the handlers given', () => {
    const echo = jest.fn();
    const handlers = handlersWithUnimplemented('S', definition, { Echo: echo });
    expect(handlers['Echo']).toBe(echo);
    const emitted: Partial<grpc.ServiceError>[] = [];
    (handlers['Watch'] as (call: { emit(event: string, e: Partial<grpc.ServiceError>): void }) => void)({
      emit: (_event, e) => emitted.push(e),
    });
    expect(emitted[0]!.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(emitted[0]!.details).toBe(
      'S.Watch has no handler on this server (its contract is newer than its build)',
    );
    expect(emitted[0]!.metadata!.get(ERROR_CODE_TRAILER)).toEqual(['1001']);
  });
});

describe('health conditions', () => {
  const HealthClient = grpc.makeClientConstructor(
    // biome-ignore lint/suspicious/noExplicitAny: the loaded health proto is untyped
    (grpc.loadPackageDefinition(protoLoader.loadSync(healthProtoPath, { enums: String })) as any).grpc.health
      .v1.Health.service,
    'Health',
  );
  /** A server with one health condition (and, when given, a health port). */
  const startServer = (healthPort?: number) =>
    startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      portSetting: 'port',
      services: [],
      reflection: {},
      logger: createLogger({ service: 'test', instance: '0', level: 'silent' }),
      conditions: ['caught-up'],
      ...(healthPort === undefined ? {} : { healthPort }),
    });
  /** A health client on `port` and its Check call. */
  const healthClient = (port: number) => {
    const client = new HealthClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        client['Check']({ service }, (err: Error | null, res: { status: string }) =>
          err ? reject(err) : resolve(res.status),
        ),
      );
    return { client, check };
  };

  it('reports a condition SERVING only while the server serves and the condition holds', async () => {
    const server = await startServer();
    const { client, check } = healthClient(server.port);
    try {
      expect([await check(''), await check('caught-up')]).toEqual(['NOT_SERVING', 'NOT_SERVING']);
      server.setCondition('caught-up', true);
      expect(await check('caught-up')).toBe('NOT_SERVING');
      server.setServing(true);
      expect([await check(''), await check('caught-up')]).toEqual(['SERVING', 'SERVING']);
      server.setCondition('caught-up', false);
      expect([await check(''), await check('caught-up')]).toEqual(['SERVING', 'NOT_SERVING']);
      server.setCondition('caught-up', true);
      server.setServing(false);
      expect(await check('caught-up')).toBe('NOT_SERVING');
      expect(() => server.setCondition('other', true)).toThrow('unknown health condition other');
    } finally {
      client.close();
      await server.stop(100);
    }
  });

  it('serves the same statuses on a plaintext health port, and only health there', async () => {
    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const server = await startServer(free);
    const { client, check } = healthClient(free);
    try {
      expect(await check('')).toBe('NOT_SERVING');
      server.setServing(true);
      server.setCondition('caught-up', true);
      expect([await check(''), await check('caught-up')]).toEqual(['SERVING', 'SERVING']);
      const reflection = new grpc.Client(`127.0.0.1:${free}`, grpc.credentials.createInsecure());
      const unimplemented = await new Promise<number>((resolve) =>
        reflection.makeUnaryRequest(
          '/t.S/Echo',
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (err) => resolve(err?.code ?? 0),
        ),
      );
      reflection.close();
      expect(unimplemented).toBe(grpc.status.UNIMPLEMENTED);
    } finally {
      client.close();
      await server.stop(100);
    }
  });
});
