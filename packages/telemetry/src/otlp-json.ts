/**
 * OTLP/JSON (`ExportTraceServiceRequest`) written straight from the spans: each span's bytes
 * when it ends (`SerializedSpan`), the request around them at export (`otlpJsonOf`). The same JSON the SDK's `JsonTraceSerializer` produces (unit test: equal after parsing), without
 * its intermediate tree (an object per span, attribute, key/value and status, and BigInt
 * nanosecond timestamps) that `JSON.stringify` then walks again.
 *
 * Why: it was the largest single cost of a sampled span in a producer at 1 % (about 13 µs of the
 * span's CPU, and garbage for the collector), and a producer's budget for 3 % is about 3.5 µs per
 * sampled record. The transport (HTTP, headers, retries, timeouts, compression) stays the OTLP
 * exporter's own: `leanOtlpTraceExporter` in tracing.ts gives it this serializer.
 */
import type { Attributes, AttributeValue, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

const str = JSON.stringify;

/** Nanoseconds since the epoch as a decimal string, as the SDK encodes them (no BigInt). */
export function hrTimeToNanosString(t: HrTime): string {
  const seconds = Math.trunc(t[0]);
  const nanos = Math.trunc(t[1]);
  if (seconds === 0) return String(nanos);
  // Seconds and nanoseconds have the same sign in an HrTime; below 1e9 nanos pad to 9 digits.
  if (seconds > 0 && nanos >= 0 && nanos < 1e9) return `${seconds}${String(nanos).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

function anyValue(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${str(v)}}`;
    case 'number':
      return Number.isInteger(v) ? `{"intValue":${v}}` : `{"doubleValue":${str(v)}}`;
    case 'boolean':
      return `{"boolValue":${v}}`;
  }
  if (v instanceof Uint8Array) return `{"bytesValue":"${Buffer.from(v).toString('base64')}"}`;
  if (Array.isArray(v)) return `{"arrayValue":{"values":[${v.map(anyValue).join(',')}]}}`;
  if (typeof v === 'object' && v !== null) {
    const values = Object.keys(v).map(
      (k) => `{"key":${str(k)},"value":${anyValue((v as Record<string, unknown>)[k])}}`,
    );
    return `{"kvlistValue":{"values":[${values.join(',')}]}}`;
  }
  return '{}';
}

function attributes(attrs: Attributes | undefined): string {
  if (attrs === undefined) return '[]';
  let out = '';
  for (const key of Object.keys(attrs)) {
    const value: AttributeValue | undefined = attrs[key];
    out += `${out === '' ? '' : ','}{"key":${str(key)},"value":${anyValue(value)}}`;
  }
  return `[${out}]`;
}

/** The OTLP span flags: W3C trace flags plus "has is-remote" and "is remote" (as the SDK sets them). */
const flags = (traceFlags: number, isRemote: boolean | undefined): number =>
  (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

const traceState = (c: SpanContext): string => {
  const s = c.traceState?.serialize();
  return s === undefined ? '' : `,"traceState":${str(s)}`;
};

function link(l: Link): string {
  return (
    `{"attributes":${attributes(l.attributes)},"spanId":${str(l.context.spanId)},"traceId":${str(l.context.traceId)}` +
    `${traceState(l.context)},"droppedAttributesCount":${l.droppedAttributesCount || 0},` +
    `"flags":${flags(l.context.traceFlags, l.context.isRemote)}}`
  );
}

function event(e: TimedEvent): string {
  return (
    `{"attributes":${attributes(e.attributes)},"name":${str(e.name)},` +
    `"timeUnixNano":"${hrTimeToNanosString(e.time)}","droppedAttributesCount":${e.droppedAttributesCount || 0}}`
  );
}

/** One span's OTLP/JSON object. */
function spanJson(s: ReadableSpan): string {
  const c = s.spanContext();
  const parent = s.parentSpanContext;
  const status =
    s.status.message === undefined
      ? `{"code":${s.status.code}}`
      : `{"code":${s.status.code},"message":${str(s.status.message)}}`;
  return (
    `{"traceId":${str(c.traceId)},"spanId":${str(c.spanId)}` +
    (parent?.spanId ? `,"parentSpanId":${str(parent.spanId)}` : '') +
    `${traceState(c)},"name":${str(s.name)},"kind":${s.kind == null ? 0 : s.kind + 1},` +
    `"startTimeUnixNano":"${hrTimeToNanosString(s.startTime)}","endTimeUnixNano":"${hrTimeToNanosString(s.endTime)}",` +
    `"attributes":${attributes(s.attributes)},"droppedAttributesCount":${s.droppedAttributesCount},` +
    `"events":[${s.events.length === 0 ? '' : s.events.map(event).join(',')}],"droppedEventsCount":${s.droppedEventsCount},` +
    `"status":${status},"links":[${s.links.length === 0 ? '' : s.links.map(link).join(',')}],"droppedLinksCount":${s.droppedLinksCount},` +
    `"flags":${flags(c.traceFlags, parent?.isRemote)}}`
  );
}

function resource(r: Resource): string {
  const schema = r.schemaUrl ? `,"schemaUrl":${str(r.schemaUrl)}` : '';
  return `{"attributes":${attributes(r.attributes)},"droppedAttributesCount":0${schema}}`;
}

/**
 * An ended span as its OTLP/JSON bytes, written when it ends, with what groups it in a request
 * (resource and scope) and its context (the batch processor reads the sampled flag). What waits
 * in the batch processor's queue for export (up to a second, so it outlives young-generation
 * collections into the old generation) is this object and bytes off the JavaScript heap, not
 * the span's graph of objects: see `SerializingSpanProcessor` (serializing-span-processor.ts).
 */
export class SerializedSpan {
  readonly json: Buffer;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  readonly #context: SpanContext;

  constructor(span: ReadableSpan) {
    this.json = Buffer.from(spanJson(span));
    this.resource = span.resource;
    this.instrumentationScope = span.instrumentationScope;
    this.#context = span.spanContext();
  }

  spanContext(): SpanContext {
    return this.#context;
  }
}

const COMMA = Buffer.from(',');

/** The `ExportTraceServiceRequest` of `spans` as OTLP/JSON bytes, grouped by resource and scope. */
export function otlpJsonOf(spans: readonly SerializedSpan[]): Buffer {
  const byResource = new Map<Resource, Map<string, SerializedSpan[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (scopes === undefined) {
      scopes = new Map();
      byResource.set(s.resource, scopes);
    }
    const scope = s.instrumentationScope;
    const key = `${scope.name}@${scope.version || ''}:${scope.schemaUrl || ''}`;
    const list = scopes.get(key);
    if (list === undefined) scopes.set(key, [s]);
    else list.push(s);
  }
  // The spans' bytes are copied once, into the body, between the enclosing JSON's pieces.
  const parts: Buffer[] = [];
  let text = '{"resourceSpans":[';
  const flush = () => {
    parts.push(Buffer.from(text));
    text = '';
  };
  let firstResource = true;
  for (const [r, scopes] of byResource) {
    text += `${firstResource ? '' : ','}{"resource":${resource(r)},"scopeSpans":[`;
    firstResource = false;
    let firstScope = true;
    for (const list of scopes.values()) {
      const scope = list[0]!.instrumentationScope;
      const scopeJson =
        `{"name":${str(scope.name)}` +
        (scope.version === undefined ? '' : `,"version":${str(scope.version)}`) +
        '}';
      text += `${firstScope ? '' : ','}{"scope":${scopeJson},"spans":[`;
      firstScope = false;
      flush();
      for (let i = 0; i < list.length; i++) {
        if (i > 0) parts.push(COMMA);
        parts.push(list[i]!.json);
      }
      text += `]${scope.schemaUrl === undefined ? '' : `,"schemaUrl":${str(scope.schemaUrl)}`}}`;
    }
    text += `]${r.schemaUrl ? `,"schemaUrl":${str(r.schemaUrl)}` : ''}}`;
  }
  text += ']}';
  flush();
  return Buffer.concat(parts);
}
