/**
 * The client's tracing of its admin and group calls, from one place (`Cluster.controller` and
 * `Cluster.group`): a CLIENT span around the call, retries included, made the active context so
 * the gRPC interceptor (installed by `createClient`) carries it to the controller or the
 * coordinator, whose served-call span becomes its child. Without a sampled span the call runs
 * as it is.
 */
import { type Attributes, context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SpanName, startSampledSpan, TRACER_NAME } from '@tributary/telemetry';

/** Runs `call` inside a `call <target>` CLIENT span (when sampled). */
export async function traceCall<T>(
  target: 'controller' | 'group coordinator',
  attributes: Attributes,
  call: () => Promise<T>,
): Promise<T> {
  const span = startSampledSpan(
    trace.getTracer(TRACER_NAME),
    SpanName.clientCall(target),
    SpanKind.CLIENT,
    () => ({
      attributes,
    }),
  );
  if (span === undefined) return call();
  try {
    return await context.with(trace.setSpan(context.active(), span), call);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
    throw err;
  } finally {
    span.end();
  }
}
