import { type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExportDelegate,
} from '@opentelemetry/otlp-exporter-base/node-http';
import {
  type IExportTraceServiceResponse,
  JsonTraceSerializer,
  TraceExporterMetricsHelper,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { LazyAsyncLocalStorageContextManager } from './context-manager';
import type { TracingConfig } from './env-config';
import { FlatSpanExport, FlatSpanExportProcessor } from './flat-span-export';
import { HeadSampler, PresetTraceIdGenerator, registerHeadSampler } from './head-sampling';
import { Attr } from './names';
import { otlpJsonBytesOf } from './otlp-json';

/** Name of the tracer every Tributary component takes its spans from. */
export const TRACER_NAME = 'tributary';

/** The process's tracing: a tracer (a no-op one when tracing is off) and a flush for shutdown. */
export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** Exports every span ended so far. */
  flush(): Promise<void>;
  /** Exports what is buffered and stops the exporter; safe to call twice. */
  shutdown(): Promise<void>;
}

/**
 * The OTLP/HTTP JSON span exporter: `OTLPTraceExporter`'s transport (HTTP, headers, retries,
 * timeout, compression, its self-metrics), built from the same parts, with the request body
 * written by `otlpJsonBytesOf` (otlp-json.ts: the same JSON without the SDK serializer's object tree).
 */
function leanOtlpTraceExporter(url: string, headers: Record<string, string>): SpanExporter {
  const options = convertLegacyHttpOptions({ url, headers }, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/json',
  });
  const serializer = {
    serializeRequest: (spans: ReadableSpan[]) => otlpJsonBytesOf(spans),
    deserializeResponse: (data: Uint8Array): IExportTraceServiceResponse =>
      JsonTraceSerializer.deserializeResponse(data),
  };
  return new OTLPExporterBase(
    createOtlpHttpExportDelegate(
      options,
      serializer,
      'otlp_http_span_exporter',
      TraceExporterMetricsHelper,
      undefined,
    ),
  );
}

function samplerOf(config: TracingConfig): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Starts tracing for this process and registers it with the OpenTelemetry API (W3C trace
 * context propagation, AsyncLocalStorage context once a span context is entered), so `trace.getTracer(TRACER_NAME)` anywhere in
 * the process yields it. With `config.enabled` false nothing is registered and the tracer is the
 * API's no-op one: spans cost nothing and no header is ever written. `exporter` overrides the
 * configured one (tests pass an InMemorySpanExporter, exported synchronously).
 */
export function startTracing(
  config: TracingConfig,
  options: {
    instanceId?: string;
    exporter?: SpanExporter;
    /** False: flat send spans go through the batch processor in-process (benchmarks' A side). */
    flatSpanWorker?: boolean;
  } = {},
): Tracing {
  if (!config.enabled && options.exporter === undefined) {
    return {
      enabled: false,
      tracer: trace.getTracer(TRACER_NAME),
      flush: async () => {},
      shutdown: async () => {},
    };
  }
  const resource = resourceFromAttributes({
    ...config.resourceAttributes,
    [Attr.serviceName]: config.serviceName,
    ...(options.instanceId !== undefined ? { [Attr.serviceInstanceId]: options.instanceId } : {}),
  });
  // With the OTLP exporter, flat send spans (the client's) go to a worker as bytes
  // (flat-span-export.ts); every other span to the batch processor, as before.
  const flatExport =
    options.exporter === undefined && config.exporter === 'otlp' && options.flatSpanWorker !== false
      ? new FlatSpanExport({
          url: config.tracesUrl,
          headers: config.headers,
          exportDelayMs: config.exportDelayMs,
          maxExportBatchSize: 1024,
          ringBytes: 2 * 1024 * 1024,
        })
      : undefined;
  const processor =
    options.exporter !== undefined
      ? new SimpleSpanProcessor(options.exporter)
      : new BatchSpanProcessor(
          config.exporter === 'console'
            ? new ConsoleSpanExporter()
            : leanOtlpTraceExporter(config.tracesUrl, { ...config.headers }),
          { scheduledDelayMillis: config.exportDelayMs, maxQueueSize: 8192, maxExportBatchSize: 1024 },
        );
  const sampler = samplerOf(config);
  // The id generator lets the head sampler (head-sampling.ts) give a root span the trace id its
  // cheap ratio draw chose, so unsampled spans are never started at all.
  const idGenerator = new PresetTraceIdGenerator();
  const provider = new NodeTracerProvider({
    resource,
    sampler,
    idGenerator,
    spanProcessors:
      flatExport !== undefined ? [processor, new FlatSpanExportProcessor(flatExport)] : [processor],
  });
  // AsyncLocalStorage only once a span context is entered (context-manager.ts): the export's
  // suppress-tracing context alone would turn Node 20's async hooks on for every promise.
  provider.register({
    propagator: new W3CTraceContextPropagator(),
    contextManager: new LazyAsyncLocalStorageContextManager(),
  });
  // Spans the head sampler keeps are lean spans (lean-span.ts) handed to the same processor.
  const head = new HeadSampler(provider, sampler, config.sampler, config.samplerRatio, idGenerator, {
    processor,
    resource,
    flatExport,
  });
  registerHeadSampler(head);
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: provider.getTracer(TRACER_NAME),
    flush: () => provider.forceFlush(),
    shutdown: () => {
      registerHeadSampler(undefined, head);
      stopped ??= provider.shutdown().catch(() => undefined);
      return stopped;
    },
  };
}
