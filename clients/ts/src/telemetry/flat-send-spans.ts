/**
 * The sampled records of one `send` call kept as data, not spans, until they are acknowledged:
 * the send spans' start times, partitions, keys and `traceparent` bytes (which hold the ids) in
 * arrays of the call's own, and at the end one small view object per span (`FlatSendSpan`), the
 * `ReadableSpan` the provider's span processor receives. What a span's readers ask for (its span
 * context, times, attributes) is made when they ask: by the OTLP/JSON writer at export, or a
 * test's in-memory exporter.
 *
 * Why (issue 14's eighth pass): a sampled record's span, ids, attribute object, header strings
 * and request context were about ten objects and 2.1 KB, kept until the record's acknowledgement
 * and then until the batch processor's export, so each was copied through the young generation
 * and promoted. Here a sampled record adds its header Buffer and an element to each array
 * while in flight, and one view object of two fields while it waits for export.
 *
 * Used only when the process's tracer provider is the one `startTracing` made and the tracer is
 * its own (`SampledSpans.flat`): its processors (batch, or simple in tests) do nothing at
 * `onStart`, and every exporter reads spans through `ReadableSpan`. Under an application's own
 * SDK the send tracing starts SDK spans, as before.
 */
import {
  type Attributes,
  type Context,
  type HrTime,
  type Link,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  TraceFlags,
  type TraceState,
} from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import {
  Attr,
  type FlatSpanExport,
  type LeanSpanSink,
  MESSAGING_SYSTEM,
  spanIdOf,
  traceIdOf,
} from '@tributary/telemetry';

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** The sampled records of one send call, as arrays indexed by their order among the sampled. */
export class FlatSends {
  readonly name: string;
  /** `Date.now()` minus `performance.now()`: wall-clock milliseconds of a monotonic time. */
  readonly #wallOffset = Date.now() - performance.now();
  readonly traceparents: Buffer[] = [];
  readonly #partitions: number[] = [];
  readonly #keys: (Buffer | null | undefined)[] = [];
  /** `performance.now()` when each record was sampled. */
  readonly #starts: number[] = [];
  /** Each record's offset once acknowledged (−1: none). */
  readonly #offsets: number[] = [];
  #endedAt = 0;
  #ended = false;
  #status: SpanStatus = UNSET;

  constructor(
    readonly sink: LeanSpanSink,
    readonly parent: SpanContext | undefined,
    readonly parentContext: Context,
    name: string,
    readonly topic: string,
    readonly clientId: string,
  ) {
    this.name = name;
  }

  /** Records a sampled record's span data; `traceparent` holds its ids. */
  add(traceparent: Buffer, partition: number, key: Buffer | null | undefined): void {
    this.traceparents.push(traceparent);
    this.#partitions.push(partition);
    this.#keys.push(key);
    this.#starts.push(performance.now());
  }

  get size(): number {
    return this.traceparents.length;
  }

  /**
   * Ends every span: `offsetOf(k)` is the k-th sampled record's offset (−1: none), `error` the
   * call's failure. Hands each span to the provider's processor.
   */
  end(offsetOf: (k: number) => number, error?: unknown): void {
    if (this.#ended) return; // as a span's `end`: once
    this.#ended = true;
    this.#endedAt = performance.now();
    if (error !== undefined)
      this.#status = { code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) };
    const flatExport = this.sink.flatExport;
    if (flatExport !== undefined) {
      this.#export(flatExport, offsetOf);
      return;
    }
    const processor = this.sink.processor;
    for (let k = 0; k < this.traceparents.length; k++) {
      this.#offsets.push(offsetOf(k));
      const span = new FlatSendSpan(this, k);
      processor.onStart(span as never, this.parentContext);
      processor.onEnd(span);
    }
  }

  /**
   * Under the OTLP exporter (issue 14's ninth pass): each span written as bytes into the export
   * ring (flat-span-export.ts in the telemetry package), exported by its worker; nothing of the
   * spans stays on this thread's heap once this call's arrays go.
   */
  #export(flatExport: FlatSpanExport, offsetOf: (k: number) => number): void {
    const sink = this.sink;
    const frame = flatExport.frameOf(
      sink.resource,
      sink.scope,
      this.name,
      this.topic,
      this.clientId,
      this.parent,
    );
    const n = this.traceparents.length;
    if (frame === undefined) {
      flatExport.dropped += n;
      return;
    }
    const status = this.#status;
    const message = status.message !== undefined ? Buffer.from(status.message) : undefined;
    const end = this.#wallOffset + this.#endedAt;
    for (let k = 0; k < n; k++) {
      const start = this.#wallOffset + this.#starts[k]!;
      const offset = offsetOf(k);
      this.#offsets.push(offset);
      flatExport.write(
        frame,
        this.traceparents[k]!,
        start,
        Math.max(end, start),
        this.#partitions[k]!,
        offset,
        this.#keys[k],
        status.code,
        message,
      );
    }
  }

  /** The k-th span's wall-clock start. */
  startTime(k: number): HrTime {
    return millisToHrTime(this.#wallOffset + this.#starts[k]!);
  }

  /** The wall-clock end, the same for every span of the call (acknowledged together). */
  endTime(k: number): HrTime {
    return millisToHrTime(this.#wallOffset + Math.max(this.#endedAt, this.#starts[k]!));
  }

  get status(): SpanStatus {
    return this.#status;
  }

  /** The k-th span's attributes, in the order the span-based path sets them. */
  attributes(k: number): Attributes {
    const attributes: Attributes = {
      [Attr.messagingSystem]: MESSAGING_SYSTEM,
      [Attr.messagingOperationType]: 'send',
      [Attr.destinationName]: this.topic,
      [Attr.partitionId]: String(this.#partitions[k]),
      [Attr.clientId]: this.clientId,
    };
    const key = this.#keys[k];
    if (key) attributes[Attr.kafkaMessageKey] = key.toString();
    const offset = this.#offsets[k]!;
    if (offset >= 0) attributes[Attr.kafkaOffset] = offset;
    return attributes;
  }
}

/**
 * A flat span's context: its ids are read from its `traceparent` bytes when asked for (the batch
 * processor asks only for the flags when the span ends; the export for the ids).
 */
class FlatSpanContext implements SpanContext {
  readonly traceFlags = TraceFlags.SAMPLED;
  constructor(
    private readonly traceparent: Buffer,
    readonly traceState: TraceState | undefined,
  ) {}
  get traceId(): string {
    return traceIdOf(this.traceparent);
  }
  get spanId(): string {
    return spanIdOf(this.traceparent);
  }
}

/**
 * One ended send span of a `FlatSends`, as the SDK's exporters read spans. Everything but the
 * two fields is computed when read (export reads each once).
 */
export class FlatSendSpan implements ReadableSpan {
  constructor(
    private readonly sends: FlatSends,
    private readonly k: number,
  ) {}

  get name(): string {
    return this.sends.name;
  }
  get kind(): SpanKind {
    return SpanKind.PRODUCER;
  }
  spanContext(): SpanContext {
    return new FlatSpanContext(this.sends.traceparents[this.k]!, this.sends.parent?.traceState);
  }
  get parentSpanContext(): SpanContext | undefined {
    return this.sends.parent;
  }
  get startTime(): HrTime {
    return this.sends.startTime(this.k);
  }
  get endTime(): HrTime {
    return this.sends.endTime(this.k);
  }
  get duration(): HrTime {
    return hrTimeDuration(this.startTime, this.endTime);
  }
  get status(): SpanStatus {
    return this.sends.status;
  }
  get attributes(): Attributes {
    return this.sends.attributes(this.k);
  }
  get links(): Link[] {
    return NONE;
  }
  get events(): TimedEvent[] {
    return NONE;
  }
  get ended(): boolean {
    return true;
  }
  get resource() {
    return this.sends.sink.resource;
  }
  get instrumentationScope() {
    return this.sends.sink.scope;
  }
  get droppedAttributesCount(): number {
    return 0;
  }
  get droppedEventsCount(): number {
    return 0;
  }
  get droppedLinksCount(): number {
    return 0;
  }
}

/** The span context a test or a caller sees of the k-th sampled record before it ends. */
export function flatSpanContext(sends: FlatSends, k: number): SpanContext {
  return new FlatSendSpan(sends, k).spanContext();
}
