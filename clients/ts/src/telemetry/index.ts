import { startTracing, type Tracing, tracingConfigFromEnv } from '@tributary/telemetry';

export type { Tracing } from '@tributary/telemetry';

/**
 * Sets up OpenTelemetry tracing for an application that has no SDK of its own, from the standard
 * `OTEL_*` variables (off when none names an exporter), and registers it globally: the
 * producer's `send` and the consumer's `poll`/`process` spans go to it. An application that
 * already runs the OpenTelemetry SDK needs none of this: the client uses the global tracer.
 * Call `shutdown()` before exiting so buffered spans are exported.
 */
export function startClientTracing(
  serviceName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Tracing {
  return startTracing(tracingConfigFromEnv(env, serviceName));
}
