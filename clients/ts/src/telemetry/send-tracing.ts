/**
 * The producer's tracing, called from one place (`Producer.send`): a `send <topic>` PRODUCER
 * span per sampled record, from the process's global OpenTelemetry tracer (the application's
 * SDK, or the one `startClientTracing` set up; the API's no-op tracer otherwise). Only a sampled
 * record gets a `traceparent` header and a request trace context, so the sender puts its context
 * on the produce request. A record that is not sampled costs no span, no ids and no header bytes:
 * the decision is taken first (`SampledSpans`, head-sampling.ts in @tributary/telemetry), a
 * counter decrement per record under `*traceidratio`.
 *
 * Under the provider `startTracing` made, a sampled record's span is kept as data until the
 * record is acknowledged (flat-send-spans.ts): its ids are the bytes of its `traceparent` header,
 * and no span object exists until it ends. Under an application's own SDK each sampled record
 * starts an SDK span, as any instrumentation would.
 */
import { type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RecordInput } from '@tributary/record-batch';
import {
  Attr,
  MESSAGING_SYSTEM,
  SampledSpans,
  SpanName,
  TRACEPARENT_HEADER,
  TRACER_NAME,
  TRACESTATE_HEADER,
  traceContextField,
  traceHeaders,
} from '@tributary/telemetry';
import type { RecordMetadata } from '../producer/types';
import { FlatSends, flatSpanContext } from './flat-send-spans';

/** The W3C context a traced send puts on its produce request (proto `TraceContext`). */
export interface RequestTraceContext {
  readonly traceparent: string;
  readonly tracestate: string;
}

/**
 * A flat span's request context: its `traceparent` string is made from the header's bytes only
 * when a produce request carries it (one sampled record per request does).
 */
class HeaderTraceContext implements RequestTraceContext {
  constructor(
    private readonly header: Buffer,
    readonly tracestate: string,
  ) {}
  get traceparent(): string {
    return this.header.toString('latin1');
  }
}

/**
 * The tracing of one `send` call: what is the same for all its records (tracer, span name, the
 * application's active context, the head sampler's decision under it) is looked up once, so an
 * unsampled record costs a counter decrement (no random draw: see `HeadSampler.draw`). The
 * sampled records are numbered in order (0, 1, ...): `indexOf(k)` is the k-th one's index in
 * the call.
 */
export class SendTracing {
  readonly #spans: SampledSpans;
  /** Under the provider `startTracing` made: the sampled records' spans as data. */
  readonly #flat: FlatSends | undefined;
  /** The parent's serialised trace state ('' for none), for the header and request context. */
  readonly #traceState: string;
  /** Under another SDK: the sampled records' spans. */
  readonly #sdkSpans: Span[] = [];
  /** The sampled records' indices in the call, in order. */
  readonly #indices: number[] = [];

  constructor(
    private readonly topic: string,
    private readonly clientId: string,
  ) {
    const name = SpanName.send(topic);
    this.#spans = new SampledSpans(trace.getTracer(TRACER_NAME), name, SpanKind.PRODUCER);
    const flat = this.#spans.flat;
    this.#flat =
      flat === undefined
        ? undefined
        : new FlatSends(flat.sink, flat.parent, this.#spans.parent, name, topic, clientId);
    this.#traceState = flat?.parent?.traceState?.serialize() ?? '';
  }

  /** How many records of the call are sampled. */
  get sampled(): number {
    return this.#indices.length;
  }

  /** The call's index of the k-th sampled record. */
  indexOf(k: number): number {
    return this.#indices[k]!;
  }

  /**
   * Decides whether record `index` of the call (partition chosen) is sampled; when it is, adds
   * its `traceparent` header to `input`, starts its span (or keeps its data) and returns the
   * context its produce request carries. Undefined (and nothing made) when it is not.
   */
  record(
    partition: number,
    key: Buffer | null | undefined,
    input: RecordInput,
    index: number,
  ): RequestTraceContext | undefined {
    if (!this.#spans.next()) return undefined;
    const flat = this.#flat;
    if (flat !== undefined) {
      const traceparent = this.#spans.traceparent();
      flat.add(traceparent, partition, key);
      const header = { key: TRACEPARENT_HEADER, value: traceparent };
      if (this.#traceState === '' && (input.headers === undefined || input.headers.length === 0))
        input.headers = [header];
      else {
        input.headers = [...(input.headers ?? []), header];
        if (this.#traceState !== '')
          input.headers.push({ key: TRACESTATE_HEADER, value: Buffer.from(this.#traceState) });
      }
      this.#indices.push(index);
      return new HeaderTraceContext(traceparent, this.#traceState);
    }
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
    this.#sdkSpans.push(span);
    this.#indices.push(index);
    return field;
  }

  /** The span context of the k-th sampled record (tests, and callers that link to it). */
  spanContextOf(k: number) {
    return this.#flat !== undefined ? flatSpanContext(this.#flat, k) : this.#sdkSpans[k]!.spanContext();
  }

  /** Ends the sampled records' spans with each record's offset, or with the call's error. */
  end(results: readonly RecordMetadata[] | undefined, error?: unknown): void {
    const offsetOf = (k: number) => results?.[this.indexOf(k)]?.offset ?? -1;
    if (this.#flat !== undefined) {
      this.#flat.end(offsetOf, error);
      return;
    }
    const spans = this.#sdkSpans;
    for (let k = 0; k < spans.length; k++) {
      const span = spans[k]!;
      const offset = offsetOf(k);
      if (offset >= 0) span.setAttribute(Attr.kafkaOffset, offset);
      if (error !== undefined)
        span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
      span.end();
    }
  }
}

/**
 * Traces one record outside a `send` call (tests): its span, if sampled, ends with `end`.
 * See `SendTracing.record`.
 */
export function startSendSpan(
  topic: string,
  partition: number,
  key: Buffer | null | undefined,
  input: RecordInput,
  clientId: string,
): { tracing: SendTracing; context: RequestTraceContext } | undefined {
  const tracing = new SendTracing(topic, clientId);
  const context = tracing.record(partition, key, input, 0);
  return context === undefined ? undefined : { tracing, context };
}
