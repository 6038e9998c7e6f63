import type * as grpc from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Counter, Histogram } from 'prom-client';
import { contextFromMetadata } from './grpc-context';
import { Attr, SpanName } from './names';

/** The two metrics every served unary call feeds (declared in the service kit's metric module). */
export interface RpcServerMetrics {
  readonly requests: Counter<'service' | 'method' | 'code'>;
  readonly duration: Histogram<'service' | 'method'>;
}

/** What `instrumentHandlers` threads through every unary handler. */
export interface ServerTelemetry {
  readonly tracer: Tracer;
  /** False: no span is started (the no-op tracer would cost a little still). */
  readonly tracing: boolean;
  readonly metrics: RpcServerMetrics;
}

const codeOf = (err: unknown): number => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : 2; // UNKNOWN
};

/**
 * Wraps every unary handler of one service with its telemetry, in one place rather than in each
 * handler: a SERVER span `<service>/<method>` whose parent is the caller's `traceparent`
 * metadata (run as the active context, so gRPC calls the handler makes carry it on), and the
 * request counter and latency histogram by status code. Streaming handlers are passed through
 * unchanged: a span as long as a stream says nothing, so streams are instrumented per message
 * where their work is (the produce request, the fetch response).
 */
export function instrumentHandlers(
  serviceName: string,
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  telemetry: ServerTelemetry,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    const spec = definition[method];
    if (spec === undefined || spec.requestStream || spec.responseStream) {
      out[method] = handler;
      continue;
    }
    const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
    const { requests, duration } = telemetry.metrics;
    const spanName = SpanName.rpc(serviceName, method);
    out[method] = ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const stopTimer = duration.startTimer({ service: serviceName, method });
      if (!telemetry.tracing) {
        unary(call, (err, value, trailer, flags) => {
          stopTimer();
          requests.inc({ service: serviceName, method, code: err ? codeOf(err) : 0 });
          callback(err, value, trailer, flags);
        });
        return;
      }
      const parent = contextFromMetadata(call.metadata, context.active()) ?? context.active();
      const span = telemetry.tracer.startSpan(
        spanName,
        {
          kind: SpanKind.SERVER,
          attributes: { [Attr.rpcSystem]: 'grpc', [Attr.rpcService]: serviceName, [Attr.rpcMethod]: method },
        },
        parent,
      );
      const done: grpc.sendUnaryData<unknown> = (err, value, trailer, flags) => {
        stopTimer();
        const code = err ? codeOf(err) : 0;
        requests.inc({ service: serviceName, method, code });
        span.setAttribute(Attr.rpcGrpcStatusCode, code);
        if (err)
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: (err as { message?: string }).message ?? String(err),
          });
        span.end();
        callback(err, value, trailer, flags);
      };
      context.with(trace.setSpan(parent, span), () => unary(call, done));
    }) as grpc.UntypedHandleCall;
  }
  return out;
}
