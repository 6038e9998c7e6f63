export { LazyAsyncLocalStorageContextManager } from './context-manager';
export { parseKeyValueList, type SamplerName, type TracingConfig, tracingConfigFromEnv } from './env-config';
export { type FlatSendFrame, FlatSpanExport, FlatSpanExportProcessor } from './flat-span-export';
export { flatRequestBody, readFlatRecords } from './flat-span-worker';
export {
  contextFromField,
  contextFromMetadata,
  traceContextField,
  traceContextInterceptor,
} from './grpc-context';
export {
  instrumentHandlers,
  type RpcServerMetrics,
  type ServerTelemetry,
} from './grpc-server-telemetry';
export {
  HeadSampler,
  PresetTraceIdGenerator,
  ratioUpperBound,
  SampledSpans,
  startSampledSpan,
  traceIdWithAccumulation,
} from './head-sampling';
export { inMemoryTracer, TEST_PARENT } from './in-memory-tracer';
export type { LeanSpanSink } from './lean-span';
export { traceLogFields } from './log-context';
export { type MetricsServer, startMetricsServer } from './metrics-server';
export {
  Attr,
  ClientMetricName,
  MESSAGING_SYSTEM,
  SpanName,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './names';
export { otlpJsonOf } from './otlp-json';
export { contextFromHeaders, type HeaderLike, traceHeaders, traceparentOf } from './record-headers';
export {
  rootTraceparent,
  spanIdOf,
  TRACEPARENT_LENGTH,
  traceIdOf,
} from './traceparent-bytes';
export { startTracing, TRACER_NAME, type Tracing } from './tracing';
