import { context, trace } from '@opentelemetry/api';

/**
 * Fields a log line gets from the active span: `trace_id` and `span_id` when there is one (pino's
 * `mixin` calls this for every line), nothing otherwise. A sampled-out span has ids too; they are
 * logged all the same, as they still tie the lines of one request together.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
