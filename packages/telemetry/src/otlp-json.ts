/**
 * OTLP/JSON (`ExportTraceServiceRequest`) written straight from the spans into bytes: the same
 * JSON the SDK's `JsonTraceSerializer` produces (unit test: equal after parsing), without its
 * intermediate tree (an object per span, attribute, key/value and status, and BigInt
 * nanosecond timestamps) that `JSON.stringify` then walks again, and without building strings:
 * `JsonBytes` (json-bytes.ts) writes the pieces into one Buffer.
 *
 * Why: it was the largest single cost of a sampled span in a producer at 1 % (about 13 µs of the
 * span's CPU, and garbage for the collector); written as concatenated strings it still made
 * about 5.3 KB of young-generation garbage per span (seventh pass). The transport (HTTP,
 * headers, retries, timeouts, compression) stays the OTLP exporter's own:
 * `leanOtlpTraceExporter` in tracing.ts gives it this serializer.
 */
import type { Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { JsonBytes } from './json-bytes';

/** Nanoseconds since the epoch as a decimal string, as the SDK encodes them (no BigInt). */
export function hrTimeToNanosString(t: HrTime): string {
  const seconds = Math.trunc(t[0]);
  const nanos = Math.trunc(t[1]);
  if (seconds === 0) return String(nanos);
  // Seconds and nanoseconds have the same sign in an HrTime; below 1e9 nanos pad to 9 digits.
  if (seconds > 0 && nanos >= 0 && nanos < 1e9) return `${seconds}${String(nanos).padStart(9, '0')}`;
  return (BigInt(seconds) * 1_000_000_000n + BigInt(nanos)).toString();
}

/** `hrTimeToNanosString(t)` as a JSON string, its digits written without a string when it can. */
function nanos(w: JsonBytes, t: HrTime): void {
  const seconds = Math.trunc(t[0]);
  const ns = Math.trunc(t[1]);
  if (seconds > 0 && ns >= 0 && ns < 1e9 && Number.isSafeInteger(seconds))
    w.raw('"').digits(seconds, 1).digits(ns, 9).raw('"');
  else w.raw('"').raw(hrTimeToNanosString(t)).raw('"');
}

function anyValue(w: JsonBytes, v: unknown): void {
  switch (typeof v) {
    case 'string':
      w.raw('{"stringValue":').string(v).raw('}');
      return;
    case 'number':
      if (Number.isInteger(v)) w.raw('{"intValue":').number(v).raw('}');
      else w.raw('{"doubleValue":').raw(JSON.stringify(v)).raw('}');
      return;
    case 'boolean':
      w.raw(v ? '{"boolValue":true}' : '{"boolValue":false}');
      return;
  }
  if (v instanceof Uint8Array) {
    w.raw('{"bytesValue":"').raw(Buffer.from(v).toString('base64')).raw('"}');
    return;
  }
  if (Array.isArray(v)) {
    w.raw('{"arrayValue":{"values":[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) w.raw(',');
      anyValue(w, v[i]);
    }
    w.raw(']}}');
    return;
  }
  if (typeof v === 'object' && v !== null) {
    w.raw('{"kvlistValue":{"values":[');
    keyValuesJson(w, v as Record<string, unknown>);
    w.raw(']}}');
    return;
  }
  w.raw('{}');
}

/** An object's own entries as OTLP `KeyValue`s, comma-separated (attributes, a kvlist's values). */
export function keyValuesJson(w: JsonBytes, obj: Readonly<Record<string, unknown>>): void {
  let first = true;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    if (!first) w.raw(',');
    first = false;
    w.raw('{"key":').string(key).raw(',"value":');
    anyValue(w, obj[key]);
    w.raw('}');
  }
}

function attributes(w: JsonBytes, attrs: Attributes | undefined): void {
  w.raw('[');
  if (attrs !== undefined) keyValuesJson(w, attrs);
  w.raw(']');
}

/** The OTLP span flags: W3C trace flags plus "has is-remote" and "is remote" (as the SDK sets them). */
const flags = (traceFlags: number, isRemote: boolean | undefined): number =>
  (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);

function traceState(w: JsonBytes, c: SpanContext): void {
  const s = c.traceState?.serialize();
  if (s !== undefined) w.raw(',"traceState":').string(s);
}

function link(w: JsonBytes, l: Link): void {
  w.raw('{"attributes":');
  attributes(w, l.attributes);
  w.raw(',"spanId":').string(l.context.spanId).raw(',"traceId":').string(l.context.traceId);
  traceState(w, l.context);
  w.raw(',"droppedAttributesCount":')
    .number(l.droppedAttributesCount || 0)
    .raw(',"flags":')
    .number(flags(l.context.traceFlags, l.context.isRemote))
    .raw('}');
}

function event(w: JsonBytes, e: TimedEvent): void {
  w.raw('{"attributes":');
  attributes(w, e.attributes);
  w.raw(',"name":').string(e.name).raw(',"timeUnixNano":');
  nanos(w, e.time);
  w.raw(',"droppedAttributesCount":')
    .number(e.droppedAttributesCount || 0)
    .raw('}');
}

function span(w: JsonBytes, s: ReadableSpan): void {
  const c = s.spanContext();
  const parent = s.parentSpanContext;
  w.raw('{"traceId":').string(c.traceId).raw(',"spanId":').string(c.spanId);
  if (parent?.spanId) w.raw(',"parentSpanId":').string(parent.spanId);
  traceState(w, c);
  w.raw(',"name":')
    .string(s.name)
    .raw(',"kind":')
    .number(s.kind == null ? 0 : s.kind + 1)
    .raw(',"startTimeUnixNano":');
  nanos(w, s.startTime);
  w.raw(',"endTimeUnixNano":');
  nanos(w, s.endTime);
  w.raw(',"attributes":');
  attributes(w, s.attributes);
  w.raw(',"droppedAttributesCount":').number(s.droppedAttributesCount).raw(',"events":[');
  for (let i = 0; i < s.events.length; i++) {
    if (i > 0) w.raw(',');
    event(w, s.events[i]!);
  }
  w.raw('],"droppedEventsCount":')
    .number(s.droppedEventsCount)
    .raw(',"status":{"code":')
    .number(s.status.code);
  if (s.status.message !== undefined) w.raw(',"message":').string(s.status.message);
  w.raw('},"links":[');
  for (let i = 0; i < s.links.length; i++) {
    if (i > 0) w.raw(',');
    link(w, s.links[i]!);
  }
  w.raw('],"droppedLinksCount":')
    .number(s.droppedLinksCount)
    .raw(',"flags":')
    .number(flags(c.traceFlags, parent?.isRemote))
    .raw('}');
}

function resource(w: JsonBytes, r: Resource): void {
  w.raw('{"attributes":');
  attributes(w, r.attributes);
  w.raw(',"droppedAttributesCount":0');
  if (r.schemaUrl) w.raw(',"schemaUrl":').string(r.schemaUrl);
  w.raw('}');
}

/** The `ExportTraceServiceRequest` of `spans` as OTLP/JSON bytes, grouped by resource and scope. */
export function otlpJsonBytesOf(spans: readonly ReadableSpan[]): Buffer {
  const byResource = new Map<Resource, Map<string, ReadableSpan[]>>();
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
  // About 750 bytes a span of ours: one allocation for a batch of 1,024.
  const w = new JsonBytes(1024 + 800 * spans.length);
  w.raw('{"resourceSpans":[');
  let firstResource = true;
  for (const [r, scopes] of byResource) {
    if (!firstResource) w.raw(',');
    firstResource = false;
    w.raw('{"resource":');
    resource(w, r);
    w.raw(',"scopeSpans":[');
    let firstScope = true;
    for (const list of scopes.values()) {
      if (!firstScope) w.raw(',');
      firstScope = false;
      const scope = list[0]!.instrumentationScope;
      w.raw('{"scope":{"name":').string(scope.name);
      if (scope.version !== undefined) w.raw(',"version":').string(scope.version);
      w.raw('},"spans":[');
      for (let i = 0; i < list.length; i++) {
        if (i > 0) w.raw(',');
        span(w, list[i]!);
      }
      w.raw(']');
      if (scope.schemaUrl !== undefined) w.raw(',"schemaUrl":').string(scope.schemaUrl);
      w.raw('}');
    }
    w.raw(']');
    if (r.schemaUrl) w.raw(',"schemaUrl":').string(r.schemaUrl);
    w.raw('}');
  }
  w.raw(']}');
  return w.bytes();
}

/** The same OTLP/JSON as text (tests, the console). */
export function otlpJsonOf(spans: readonly ReadableSpan[]): string {
  return otlpJsonBytesOf(spans).toString('utf8');
}
