import type { Http2Server, ServerHttp2Session } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { TributaryError, toGrpcError } from '@tributary/errors';
import { FLOW_CONTROL_WINDOW_BYTES, SERVER_OPTIONS } from '@tributary/proto';
import { instrumentHandlers, type ServerTelemetry } from '@tributary/telemetry';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { ServiceSecurity } from './auth/service-security';
import type { Logger } from './logger';

/** A service to serve: its full proto name (for health checks), definition and handlers. */
export interface ServiceBinding {
  readonly name: string;
  readonly definition: grpc.ServiceDefinition;
  readonly handlers: grpc.UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  host: string;
  port: number;
  /** Setting name of the port, so a port conflict names what to change. */
  portSetting: string;
  services: readonly ServiceBinding[];
  /** Every proto the server exposes through server reflection. */
  reflection: PackageDefinition;
  logger: Logger;
  /** Transport security of the listener (`ServiceContext.transport.server`). @default plaintext */
  credentials?: grpc.ServerCredentials;
  serverOptions?: grpc.ServerOptions;
  /** HTTP/2 connection and stream window; grpc-js has no server option for it (see below). */
  flowControlWindowBytes?: number;
  /** Spans and metrics for every unary call (`ServiceContext.telemetry.server`); none if absent. */
  telemetry?: ServerTelemetry;
  /** Authentication and authorization of every call (`ServiceContext.security`); none if absent. */
  security?: Pick<ServiceSecurity, 'interceptors' | 'authorize'>;
  /**
   * Extra grpc.health.v1 service names that report a condition of their own (a broker's
   * "replicas caught up" for a Kubernetes readiness probe). Each is SERVING only while the server
   * is serving and its condition, set with `setCondition`, holds; both start false.
   */
  conditions?: readonly string[];
  /**
   * A second, plaintext listener on this port serving only grpc.health.v1 (the same statuses),
   * for Kubernetes gRPC probes, which cannot speak TLS. Health says SERVING or NOT_SERVING and
   * nothing else, so it needs neither TLS nor credentials. 0 or absent: none.
   */
  healthPort?: number;
}

/** A started server: its bound port, its health status, and a graceful stop. */
export interface RunningGrpcServer {
  readonly server: grpc.Server;
  readonly port: number;
  /** Marks every service SERVING or NOT_SERVING in grpc.health.v1. */
  setServing(serving: boolean): void;
  /** Sets one of `options.conditions`; its health is SERVING while this and serving both hold. */
  setCondition(name: string, holds: boolean): void;
  /** Stops accepting calls, lets in-flight calls finish for up to `graceMs`, then cancels the rest. */
  stop(graceMs: number): Promise<void>;
}

/**
 * Starts a gRPC server with grpc.health.v1 and server reflection beside the given services.
 * Health starts NOT_SERVING; the service flips it once every start-up step has finished.
 */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new grpc.Server({
    ...SERVER_OPTIONS,
    ...options.serverOptions,
    ...(options.security?.interceptors.length ? { interceptors: [...options.security.interceptors] } : {}),
  });
  for (const service of options.services) {
    // Authorization innermost, telemetry around it: refusals are counted and traced like any call.
    const authorized =
      options.security?.authorize(
        service.name.slice(service.name.lastIndexOf('.') + 1),
        service.definition,
        service.handlers,
      ) ?? service.handlers;
    const handlers = options.telemetry
      ? instrumentHandlers(service.name, service.definition, authorized, options.telemetry)
      : authorized;
    server.addService(service.definition, handlers);
  }
  const statusMap = Object.fromEntries(
    ['', ...options.services.map((s) => s.name)].map((name) => [name, 'NOT_SERVING' as const]),
  );
  const conditions = new Map((options.conditions ?? []).map((name) => [name, false]));
  for (const name of conditions.keys()) {
    if (name in statusMap) throw new Error(`health condition ${name} clashes with a service name`);
  }
  let serving = false;
  const health = new HealthImplementation({
    ...statusMap,
    ...Object.fromEntries([...conditions.keys()].map((name) => [name, 'NOT_SERVING' as const])),
  });
  const status = (up: boolean) => (up ? 'SERVING' : 'NOT_SERVING');
  const publishConditions = () => {
    for (const [name, holds] of conditions) health.setStatus(name, status(serving && holds));
  };
  health.addToServer(server);
  // Reflection lists exactly what this server serves, health included.
  const healthDefinition = protoLoader.loadSync(healthProtoPath);
  new ReflectionService(
    { ...options.reflection, ...healthDefinition },
    { services: [...options.services.map((s) => s.name), 'grpc.health.v1.Health'] },
  ).addToServer(server);

  const port = await bind(
    server,
    options.host,
    options.port,
    options.credentials ?? grpc.ServerCredentials.createInsecure(),
    options.portSetting,
  );
  raiseFlowControlWindow(server, options.flowControlWindowBytes ?? FLOW_CONTROL_WINDOW_BYTES);
  options.logger.info({ host: options.host, port }, 'gRPC server listening');
  let healthServer: grpc.Server | undefined;
  if (options.healthPort) {
    healthServer = new grpc.Server();
    health.addToServer(healthServer);
    await bind(
      healthServer,
      options.host,
      options.healthPort,
      grpc.ServerCredentials.createInsecure(),
      'health.port',
    );
    options.logger.info({ host: options.host, port: options.healthPort }, 'plaintext health port listening');
  }

  return {
    server,
    port,
    setServing(up) {
      serving = up;
      for (const name of Object.keys(statusMap)) health.setStatus(name, status(up));
      publishConditions();
    },
    setCondition(name, holds) {
      if (!conditions.has(name)) throw new Error(`unknown health condition ${name}`);
      conditions.set(name, holds);
      publishConditions();
    },
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        // The health port closes last, so probes see NOT_SERVING rather than a refused connection.
        const done = () => {
          healthServer?.forceShutdown();
          resolve();
        };
        const timer = setTimeout(() => {
          server.forceShutdown();
          done();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          done();
        });
      }),
  };
}

/** Binds `server`; a failure names the setting of the port. */
function bind(
  server: grpc.Server,
  host: string,
  port: number,
  credentials: grpc.ServerCredentials,
  portSetting: string,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, credentials, (err, bound) => {
      if (err) {
        const inUse = /EADDRINUSE|address already in use/i.test(err.message);
        reject(
          new Error(
            inUse
              ? `Port ${port} on ${host} is already in use (setting ${portSetting})`
              : `Cannot listen on ${host}:${port} (setting ${portSetting}): ${err.message}`,
            { cause: err },
          ),
        );
      } else resolve(bound);
    });
  });
}

/**
 * grpc-js 1.14 lets a client raise its HTTP/2 window (`grpc-node.flow_control_window`) but has
 * no server option, and the 64 KiB default caps a stream near 240 MB/s (PLATFORM.md). So each
 * new session of the server's HTTP/2 listeners gets a larger connection window and initial
 * stream window. This reaches into grpc-js's private `http2Servers` map; if a grpc-js upgrade
 * renames it, the server still works at the default window and this logs nothing worse.
 */
function raiseFlowControlWindow(server: grpc.Server, bytes: number): void {
  const listeners = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  if (!(listeners instanceof Map)) return;
  for (const listener of listeners.keys()) {
    listener.on('session', (session: ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(bytes);
        session.settings({ initialWindowSize: Math.min(bytes, 2 ** 31 - 1) });
      } catch {
        // The session may already be closing; the default window then applies.
      }
    });
  }
}

/**
 * The given handlers, plus one answering UNIMPLEMENTED (naming the method) for any method of the
 * contract that has none, so a server never crashes or hangs on a method added to the proto
 * before its handler. Every method of tributary.v1 has a handler today.
 */
export function handlersWithUnimplemented(
  serviceName: string,
  definition: grpc.ServiceDefinition,
  implemented: grpc.UntypedServiceImplementation = {},
): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const existing = implemented[method];
    if (existing !== undefined) {
      handlers[method] = existing;
      continue;
    }
    const error = () =>
      toGrpcError(
        new TributaryError(
          'UNIMPLEMENTED',
          `${serviceName}.${method} has no handler on this server (its contract is newer than its build)`,
        ),
      );
    if (spec.requestStream || spec.responseStream) {
      handlers[method] = ((call: grpc.ServerWritableStream<unknown, unknown>) => {
        call.emit('error', error());
      }) as grpc.UntypedHandleCall;
    } else {
      handlers[method] = ((_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(error())) as grpc.UntypedHandleCall;
    }
  }
  return handlers;
}
