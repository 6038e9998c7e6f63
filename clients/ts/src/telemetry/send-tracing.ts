/**
 * The producer's tracing, called from one place (`Producer.send`): a `send <topic>` PRODUCER
 * span per sampled record, from the process's global OpenTelemetry tracer (the application's
 * SDK, or the one `startClientTracing` set up; the API's no-op tracer otherwise). Only a sampled
 * span writes a `traceparent` header into its record and marks the send call, so the sender puts
 * its context on the produce request. A record that is not sampled costs no span, no ids and no
 * header bytes: the decision is taken first (`startSampledSpan`, head-sampling.ts in
 * @tributary/telemetry), a counter decrement per record under `*traceidratio`.
 */
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RecordInput } from '@tributary/record-batch';
import {
  Attr,
  MESSAGING_SYSTEM,
  SampledSpans,
  SpanName,
  TRACER_NAME,
  traceContextField,
  traceHeaders,
} from '@tributary/telemetry';
import type { RecordMetadata } from '../producer/types';

/** The W3C context a traced send puts on its produce request (proto `TraceContext`). */
export type RequestTraceContext = { traceparent: string; tracestate: string };

/** A sampled record's span and the context its produce request carries. */
export type TracedSend = { span: Span; context: RequestTraceContext };

/**
 * The tracing of one `send` call: what is the same for all its records (tracer, span name, the
 * application's active context, the head sampler's decision under it) is looked up once, so an
 * unsampled record costs a counter decrement (no random draw: see `HeadSampler.draw`).
 */
export class SendTracing {
  readonly #spans: SampledSpans;

  constructor(
    private readonly topic: string,
    private readonly clientId: string,
  ) {
    this.#spans = new SampledSpans(trace.getTracer(TRACER_NAME), SpanName.send(topic), SpanKind.PRODUCER);
  }

  /**
   * Starts the send span of one record (partition chosen) when it is sampled and adds its
   * `traceparent` header to `input`; undefined (and nothing made) when it is not.
   */
  record(partition: number, key: Buffer | null | undefined, input: RecordInput): TracedSend | undefined {
    if (!this.#spans.next()) return undefined;
    const span = this.#spans.start(() => ({
      attributes: {
        [Attr.messagingSystem]: MESSAGING_SYSTEM,
        [Attr.messagingOperationType]: 'send',
        [Attr.destinationName]: this.topic,
        [Attr.partitionId]: String(partition),
        [Attr.clientId]: this.clientId,
        ...(key ? { [Attr.kafkaMessageKey]: key.toString() } : {}),
      },
    }));
    if (span === undefined) return undefined;
    const sc = span.spanContext();
    const field = traceContextField(sc);
    if (field === undefined) {
      span.end();
      return undefined;
    }
    input.headers = [...(input.headers ?? []), ...traceHeaders(sc)];
    return { span, context: field };
  }
}

/** Starts the send span of one record outside a `send` call (tests); see `SendTracing.record`. */
export function startSendSpan(
  topic: string,
  partition: number,
  key: Buffer | null | undefined,
  input: RecordInput,
  clientId: string,
): TracedSend | undefined {
  return new SendTracing(topic, clientId).record(partition, key, input);
}

/** A sampled record's send span and its index in its `send` call. */
export type IndexedSend = { index: number; span: Span };

/** Ends the send spans of one `send` call with each record's offset, or with its error. */
export function endSendSpans(
  spans: readonly IndexedSend[],
  results: readonly RecordMetadata[] | undefined,
  error?: unknown,
): void {
  for (const { index, span } of spans) {
    const r = results?.[index];
    if (r !== undefined && r.offset >= 0) span.setAttribute(Attr.kafkaOffset, r.offset);
    if (error !== undefined)
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
    span.end();
  }
}
