import * as grpc from '@grpc/grpc-js';
import { type Context, context, defaultTextMapGetter, type SpanContext, trace } from '@opentelemetry/api';
import { traceparentOf, w3c } from './record-headers';

/**
 * The trace context as a field of a request message (`TraceContext` in common.proto), for
 * requests that travel inside a long-lived stream where gRPC metadata cannot carry it per
 * request. Undefined when `spanContext` is missing or not sampled: no bytes on the wire.
 */
export function traceContextField(
  spanContext: SpanContext | undefined,
): { traceparent: string; tracestate: string } | undefined {
  if (spanContext === undefined) return undefined;
  const traceparent = traceparentOf(spanContext);
  if (traceparent === undefined) return undefined;
  return { traceparent, tracestate: spanContext.traceState?.serialize() ?? '' };
}

/** The remote parent context a `TraceContext` field names, or undefined. */
export function contextFromField(
  field: { traceparent?: string; tracestate?: string } | null | undefined,
  base: Context = context.active(),
): Context | undefined {
  if (!field?.traceparent) return undefined;
  const carrier: Record<string, string> = { traceparent: field.traceparent };
  if (field.tracestate) carrier.tracestate = field.tracestate;
  const extracted = w3c.extract(base, carrier, defaultTextMapGetter);
  return trace.getSpanContext(extracted) === undefined ? undefined : extracted;
}

/** The remote parent context in a served call's gRPC metadata, or undefined. */
export function contextFromMetadata(
  metadata: grpc.Metadata,
  base: Context = context.active(),
): Context | undefined {
  const parent = metadata.get('traceparent')[0];
  if (parent === undefined) return undefined;
  const state = metadata.get('tracestate')[0];
  return contextFromField(
    { traceparent: String(parent), tracestate: state === undefined ? '' : String(state) },
    base,
  );
}

/**
 * A grpc-js client interceptor that puts the active span's context into each outgoing call's
 * metadata (W3C `traceparent`), so the service answering shows up in the trace that caused the
 * call. Adds nothing when there is no sampled active span. Installed on every client
 * `createClient` (@tributary/proto) makes; grpc-js takes interceptors off the options before it
 * builds the channel, so they do not split channel sharing.
 */
export const traceContextInterceptor: grpc.Interceptor = (options, nextCall) => {
  const field = traceContextField(trace.getSpanContext(context.active()));
  // No sampled span: hand back the next call itself, no wrapper and no metadata (grpc-js only
  // uses the InterceptingCallInterface methods of what an interceptor returns).
  if (field === undefined) return nextCall(options) as grpc.InterceptingCall;
  return new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set('traceparent', field.traceparent);
      if (field.tracestate) metadata.set('tracestate', field.tracestate);
      next(metadata, listener);
    },
  });
};
