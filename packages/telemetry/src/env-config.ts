/**
 * Telemetry configuration from the standard OpenTelemetry environment variables. Tracing is on
 * only when an OTLP endpoint or `OTEL_TRACES_EXPORTER` is set (and `OTEL_SDK_DISABLED` is not
 * true): with none of them a process creates no spans at all. Parsed here, once, from the env
 * handed in by the composition root, so nothing deeper reads `process.env`.
 */

/** Which traces are kept: the sampler names of the OpenTelemetry specification. */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

export interface TracingConfig {
  readonly enabled: boolean;
  /** `otlp` sends OTLP/HTTP (JSON); `console` prints spans (debugging); `memory` is for tests. */
  readonly exporter: 'otlp' | 'console' | 'memory';
  readonly serviceName: string;
  /** Full URL of the OTLP traces endpoint (`.../v1/traces`). */
  readonly tracesUrl: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly sampler: SamplerName;
  /** Ratio for the `*traceidratio` samplers, 0..1. */
  readonly samplerRatio: number;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** How often the batch processor exports, ms (`OTEL_BSP_SCHEDULE_DELAY`). */
  readonly exportDelayMs: number;
}

/** Splits `k=v,k2=v2` (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS), URL-decoding values. */
export function parseKeyValueList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Reads the `OTEL_*` variables. `defaultServiceName` applies when neither `OTEL_SERVICE_NAME` nor
 * a `service.name` resource attribute is given. A bad value throws, naming the variable.
 */
export function tracingConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
): TracingConfig {
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const exporterName = (env.OTEL_TRACES_EXPORTER ?? '').trim();
  const disabled = /^true$/i.test(env.OTEL_SDK_DISABLED ?? '') || exporterName === 'none';
  if (exporterName !== '' && !['otlp', 'console', 'none'].includes(exporterName))
    throw new Error(`OTEL_TRACES_EXPORTER=${exporterName}: use otlp, console or none`);
  const sampler = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on') as SamplerName;
  if (!SAMPLERS.includes(sampler))
    throw new Error(`OTEL_TRACES_SAMPLER=${sampler}: use one of ${SAMPLERS.join(', ')}`);
  const ratioText = env.OTEL_TRACES_SAMPLER_ARG;
  const samplerRatio = ratioText === undefined || ratioText === '' ? 1 : Number(ratioText);
  if (!(samplerRatio >= 0 && samplerRatio <= 1))
    throw new Error(`OTEL_TRACES_SAMPLER_ARG=${ratioText}: give a ratio from 0 to 1`);
  const delayText = env.OTEL_BSP_SCHEDULE_DELAY;
  const exportDelayMs = delayText === undefined || delayText === '' ? 1000 : Number(delayText);
  if (!(Number.isInteger(exportDelayMs) && exportDelayMs > 0))
    throw new Error(`OTEL_BSP_SCHEDULE_DELAY=${delayText}: give milliseconds (a positive integer)`);
  const resourceAttributes = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = env.OTEL_SERVICE_NAME || resourceAttributes['service.name'] || defaultServiceName;
  const base = (baseEndpoint || 'http://localhost:4318').replace(/\/+$/, '');
  return {
    enabled: !disabled && (Boolean(tracesEndpoint) || Boolean(baseEndpoint) || exporterName !== ''),
    exporter: exporterName === 'console' ? 'console' : 'otlp',
    serviceName,
    tracesUrl: tracesEndpoint || `${base}/v1/traces`,
    headers: {
      ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    sampler,
    samplerRatio,
    resourceAttributes,
    exportDelayMs,
  };
}
