/**
 * The span Tributary starts for a span its head sampler kept (head-sampling.ts), made without
 * the SDK's `Tracer.startSpan`: it is both the API's `Span` and the SDK's `ReadableSpan`, and at
 * `end` it goes to the provider's span processor like any SDK span, so export, batching and the
 * in-memory exporter of tests see no difference.
 *
 * Why: at 1 % sampling per record the producer's budget for 3 % of its CPU is about 3.5 µs per
 * sampled record, and the SDK's span costs more than that before export: `startSpan` sanitises
 * the attributes twice (and the links' attributes), asks the sampler again, counts the span in
 * its `otel.sdk.span.*` metrics (two attribute objects per span, even with no meter provider),
 * and `SpanImpl` checks every attribute against span limits. None of that can change a span
 * Tributary starts: the head sampler has decided, and our attributes are a handful of strings
 * and numbers we build ourselves. What is kept is what export reads: ids, parent, kind, name,
 * attributes, links, events, status, high-resolution start and end times, resource and scope.
 * The SDK's default limits (128 attributes, links and events) are kept as hard caps.
 */
import {
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  hrTimeDuration,
  type InstrumentationScope,
  isTimeInput,
  millisToHrTime,
  timeInputToHrTime,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { FlatSpanExport } from './flat-span-export';

/** What every lean span of one tracer provider shares. */
export interface LeanSpanSink {
  readonly processor: SpanProcessor;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /**
   * Where flat send spans go instead of the processor when the provider exports OTLP
   * (flat-span-export.ts: bytes in a ring, exported by a worker); undefined otherwise.
   */
  readonly flatExport?: FlatSpanExport;
}

/** The SDK's default span limits, as caps (our spans stay far below them). */
const LIMIT = 128;
// Shared until first changed (each replaced, never mutated): fewer objects per span for the
// garbage collector, which a span outlives into the old generation while it waits for export.
const NO_TIME: HrTime = Object.freeze([0, 0]) as unknown as HrTime;
const NOT_ENDED: HrTime = Object.freeze([-1, -1]) as unknown as HrTime;
const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const NONE: never[] = Object.freeze([]) as unknown as never[];

export class LeanSpan implements Span, ReadableSpan {
  readonly attributes: Attributes = {};
  links: Link[] = NONE;
  events: TimedEvent[] = NONE;
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  status: SpanStatus = UNSET;
  endTime: HrTime = NO_TIME;
  duration: HrTime = NOT_ENDED;
  ended = false;
  #attributeCount = 0;
  /** `performance.now()` at the start: later times are the start plus the monotonic interval. */
  readonly #startedAt = performance.now();
  readonly #startTimeGiven: boolean;

  constructor(
    private readonly sink: LeanSpanSink,
    public name: string,
    readonly kind: SpanKind,
    private readonly context: SpanContext,
    readonly parentSpanContext: SpanContext | undefined,
    attributes: Attributes | undefined,
    links: Link[] | undefined,
    startTime: TimeInput | undefined,
  ) {
    this.resource = sink.resource;
    this.instrumentationScope = sink.scope;
    // As the SDK: the start is wall-clock time (so spans of different processes line up), the
    // end is the start plus the monotonic interval, unless the start was given.
    this.#startTimeGiven = startTime !== undefined;
    this.startTime = timeInputToHrTime(startTime ?? Date.now());
    if (attributes !== undefined) this.setAttributes(attributes);
    if (links !== undefined && links.length > 0) this.links = links.slice(0, LIMIT).map((l) => ({ ...l }));
  }

  /** A time given, or now: the start plus the monotonic interval since (wall clock if the start was given). */
  #time(at: TimeInput | undefined): HrTime {
    if (at !== undefined) return timeInputToHrTime(at);
    if (this.#startTimeGiven) return millisToHrTime(Date.now());
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this.#startedAt));
  }

  spanContext(): SpanContext {
    return this.context;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || this.ended || key.length === 0) return this;
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.#attributeCount >= LIMIT) return this;
      this.#attributeCount++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended || this.events.length >= LIMIT) return this;
    const attributes = isTimeInput(attributesOrTime) ? {} : { ...attributesOrTime };
    const at = isTimeInput(attributesOrTime) ? attributesOrTime : time;
    if (this.events === NONE) this.events = [];
    this.events.push({
      name,
      attributes,
      time: this.#time(at),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended || this.links.length >= LIMIT) return this;
    if (this.links === NONE) this.links = [];
    this.links.push({ ...link });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    // As the SDK: UNSET changes nothing and OK is final.
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK)
      return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    this.endTime = this.#time(endTime);
    this.duration = hrTimeDuration(this.startTime, this.endTime);
    if (this.duration[0] < 0) {
      this.endTime = this.startTime;
      this.duration = [0, 0];
    }
    this.ended = true;
    this.sink.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes['exception.message'] = exception;
    else {
      const type = exception.code?.toString() ?? exception.name;
      if (type) attributes['exception.type'] = type;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    this.addEvent('exception', attributes, time);
  }
}
