import type * as grpc from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import { InvalidConfigError } from '@tributary/errors';
import {
  type ServerTelemetry,
  startMetricsServer,
  startTracing,
  tracingConfigFromEnv,
} from '@tributary/telemetry';
import type { Registry } from 'prom-client';
import { createServiceSecurity, type ServiceSecurity } from './auth/service-security';
import { commonSettings } from './common-settings';
import { type ConfigOf, loadConfig, type Settings } from './config';
import { type Step, startSteps } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { type CommonMetrics, createCommonMetrics, etcdMetricsInterceptor } from './metrics';
import { type ServiceTransport, type tlsSettings, transportFromConfig } from './tls/tls-settings';

export type CommonSettings = typeof commonSettings;

/** What a service's composition root hands to `runService`. */
export interface ServiceSpec<S extends Settings> {
  /** `broker`, `controller` or `group-coordinator`. */
  readonly service: string;
  /** The service's own settings; the common ones (etcd, cluster, host, logging) are added. */
  readonly settings: S;
  /** The instance id logged on every line (broker id, controller id, ...). */
  instanceId(config: ConfigOf<S & CommonSettings>): string;
  /** The ordered start-up steps. */
  steps(context: ServiceContext<S>): readonly Step[] | Promise<readonly Step[]>;
}

export interface ServiceContext<S extends Settings> {
  readonly config: ConfigOf<S & CommonSettings>;
  readonly logger: Logger;
  /** Ends the process through the same orderly shutdown as SIGTERM (e.g. after losing a lease for good). */
  shutdown(reason: string, exitCode: number): void;
  /** Metrics and tracing of this process, set up from `metrics.port` and the `OTEL_*` variables. */
  readonly telemetry: ServiceTelemetry;
  /** TLS of the gRPC listener, of links to other services and of etcd, from the `tls.*` settings. */
  readonly transport: ServiceTransport;
  /**
   * Authentication and authorization from the `auth.*` settings: pass it to `grpcServerSteps`
   * and add `security.aclStep(etcd)` after the etcd step (docs/security.md).
   */
  readonly security: ServiceSecurity;
}

/** What a composition root threads into its steps: one registry, one tracer, two hooks. */
export interface ServiceTelemetry {
  /** Where the service declares its own metrics (its `metrics.ts`). */
  readonly registry: Registry;
  readonly common: CommonMetrics;
  /** The process's tracer: the API's no-op one when no `OTEL_*` exporter is configured. */
  readonly tracer: Tracer;
  readonly tracingEnabled: boolean;
  /** For `grpcServerSteps({ telemetry })`: spans and metrics of every unary call served. */
  readonly server: ServerTelemetry;
  /** For `etcdStep({ interceptors })`: etcd latency and lease keep-alives. */
  readonly etcdInterceptors: readonly grpc.Interceptor[];
}

/**
 * The one bootstrap of every service: parse configuration once, start the steps in order, stop
 * them in reverse on SIGTERM/SIGINT and exit 0. A configuration error exits 2 and a start-up
 * failure exits 1, each with a one-line reason on stderr.
 */
export async function runService<S extends Settings>(
  spec: ServiceSpec<S>,
  argv: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const settings = { ...commonSettings, ...spec.settings } as S & CommonSettings;
  let config: ConfigOf<S & CommonSettings>;
  try {
    config = loadConfig(settings, { argv, env });
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    process.stderr.write(`tributary-${spec.service}: ${err.message}\n`);
    process.exit(2);
  }
  const instance = spec.instanceId(config);
  let tracing: ReturnType<typeof startTracing>;
  try {
    tracing = startTracing(tracingConfigFromEnv(env, `tributary-${spec.service}`), { instanceId: instance });
  } catch (err) {
    process.stderr.write(`tributary-${spec.service}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: spec.service, instance, level: config['log.level'] as string });
  let transport: ServiceTransport;
  let security: ServiceSecurity;
  try {
    transport = transportFromConfig(config as unknown as ConfigOf<typeof tlsSettings>, logger);
    security = createServiceSecurity({
      service: spec.service,
      mode: config['auth.mode'] as ServiceSecurity['mode'],
      keyFile: config['auth.token.key.file'] as string,
      principal: config['auth.principal'] as string,
      superUsers: config['auth.super.users'] as string[],
      logger,
    });
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err;
    process.stderr.write(`tributary-${spec.service}: ${err.message}\n`);
    process.exit(2);
  }
  const common = createCommonMetrics({ service: spec.service, instance });
  const telemetry: ServiceTelemetry = {
    registry: common.registry,
    common,
    tracer: tracing.tracer,
    tracingEnabled: tracing.enabled,
    server: { tracer: tracing.tracer, tracing: tracing.enabled, metrics: common.rpc },
    etcdInterceptors: [etcdMetricsInterceptor(common)],
  };
  // First step, so it stops last: /metrics answers until the end, and buffered spans are flushed.
  const metricsPort = config['metrics.port'] as number;
  const telemetryStep: Step = {
    name: 'telemetry',
    async start() {
      if (metricsPort === 0) return;
      const server = await startMetricsServer(common.registry, config.host as string, metricsPort).catch(
        (err: Error) => {
          throw new Error(
            `Cannot serve /metrics on port ${metricsPort} (setting metrics.port): ${err.message}`,
          );
        },
      );
      stopMetrics = () => server.close();
      logger.info({ port: server.port }, 'serving /metrics');
    },
    async stop() {
      await stopMetrics?.();
      await tracing.shutdown();
    },
  };
  let stopMetrics: (() => Promise<void>) | undefined;

  let stopAll: (() => Promise<void>) | undefined;
  let stepMs: Record<string, number> = {};
  let pending: { reason: string; exitCode: number } | undefined;
  let exiting = false;
  const finish = (reason: string, exitCode: number, stop: () => Promise<void>) => {
    if (exiting) return;
    exiting = true;
    logger.info({ reason }, 'shutting down');
    void stop().then(() => {
      logger.info({ exitCode }, 'stopped');
      process.exit(exitCode);
    });
  };
  // A signal during start-up waits until the steps have started, then stops them all.
  const shutdown = (reason: string, exitCode: number) => {
    if (stopAll) finish(reason, exitCode, stopAll);
    else pending ??= { reason, exitCode };
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));

  try {
    const steps = await spec.steps({ config, logger, shutdown, telemetry, transport, security });
    const started = await startSteps(
      [telemetryStep, security.identityStep, ...steps],
      logger,
      config['shutdown.timeout.ms'] as number,
    );
    stopAll = started.stop;
    stepMs = started.stepMs;
  } catch (err) {
    process.stderr.write(`tributary-${spec.service}: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  // performance.now() counts from the process's start: Node's own boot and module loading included.
  logger.info({ stepMs, sinceProcessStartMs: Math.round(performance.now()) }, 'started');
  if (pending) finish(pending.reason, pending.exitCode, stopAll);
}
