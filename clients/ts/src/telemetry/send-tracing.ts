/**
 * The producer's tracing, called from one place (`Producer.send`): a `send <topic>` PRODUCER
 * span per record, from the process's global OpenTelemetry tracer (the application's SDK, or the
 * one `startTelemetryFromEnv` set up; the API's no-op tracer otherwise). Only a sampled span
 * writes a `traceparent` header into its record and marks the send call, so the sender puts
 * its context on the produce request; an unsampled record costs no header bytes and no export.
 */
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RecordInput } from '@tributary/record-batch';
import {
  Attr,
  MESSAGING_SYSTEM,
  SpanName,
  TRACER_NAME,
  traceContextField,
  traceHeaders,
} from '@tributary/telemetry';
import type { RecordMetadata } from '../producer/types';

/** The W3C context a traced send puts on its produce request (proto `TraceContext`). */
export type RequestTraceContext = { traceparent: string; tracestate: string };

/**
 * Starts the send span of one record (partition chosen) and, when sampled, adds its
 * `traceparent` header to `input`. Returns the span only when it records.
 */
export function startSendSpan(
  topic: string,
  partition: number,
  key: Buffer | null | undefined,
  input: RecordInput,
  clientId: string,
): { span: Span; context: RequestTraceContext } | undefined {
  // Attributes are built only for a span that records: with tracing off (the no-op tracer) or
  // an unsampled record, building them per record was 10 % of a producer's CPU (bench:profile).
  // The samplers tracing.ts configures decide on the parent and trace id alone; an
  // application's own attribute-based sampler would see none at start (they follow at once).
  const span = trace.getTracer(TRACER_NAME).startSpan(SpanName.send(topic), { kind: SpanKind.PRODUCER });
  if (!span.isRecording()) return undefined;
  span.setAttributes({
    [Attr.messagingSystem]: MESSAGING_SYSTEM,
    [Attr.messagingOperationType]: 'send',
    [Attr.destinationName]: topic,
    [Attr.partitionId]: String(partition),
    [Attr.clientId]: clientId,
    ...(key ? { [Attr.kafkaMessageKey]: key.toString() } : {}),
  });
  const sc = span.spanContext();
  const context = traceContextField(sc);
  if (context === undefined) {
    span.end();
    return undefined;
  }
  input.headers = [...(input.headers ?? []), ...traceHeaders(sc)];
  return { span, context };
}

/** Ends the send spans of one `send` call with each record's offset, or with its error. */
export function endSendSpans(
  spans: readonly ({ span: Span } | undefined)[],
  results: readonly RecordMetadata[] | undefined,
  error?: unknown,
): void {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (s === undefined) continue;
    const r = results?.[i];
    if (r !== undefined && r.offset >= 0) s.span.setAttribute(Attr.kafkaOffset, r.offset);
    if (error !== undefined)
      s.span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
    s.span.end();
  }
}
