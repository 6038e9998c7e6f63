import {
  type Context,
  context,
  defaultTextMapGetter,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from './names';

/** A record header as the client and the codec carry it. */
export interface HeaderLike {
  readonly key: string;
  readonly value: Buffer | Uint8Array | string | null;
}

/**
 * The W3C `traceparent` of a span context, or undefined when it is not sampled: a record that is
 * not sampled carries no header bytes (ARCHITECTURE §8).
 */
export function traceparentOf(spanContext: SpanContext): string | undefined {
  if ((spanContext.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-01`;
}

/** The trace-context headers to add to a record sent under `spanContext` (none when unsampled). */
export function traceHeaders(spanContext: SpanContext): { key: string; value: Buffer }[] {
  const parent = traceparentOf(spanContext);
  if (parent === undefined) return [];
  const headers = [{ key: TRACEPARENT_HEADER, value: Buffer.from(parent) }];
  const state = spanContext.traceState?.serialize();
  if (state) headers.push({ key: TRACESTATE_HEADER, value: Buffer.from(state) });
  return headers;
}

/** Parses W3C headers whatever propagator the process registered (or none). */
export const w3c = new W3CTraceContextPropagator();

const text = (v: HeaderLike['value']): string | undefined =>
  v === null ? undefined : typeof v === 'string' ? v : Buffer.from(v).toString('latin1');

/**
 * The context a record's trace headers name (their span as remote parent), or undefined when the
 * record has none. Looks at headers only when one is called `traceparent`, so untraced records
 * cost a short scan of their header keys.
 */
export function contextFromHeaders(
  headers: readonly HeaderLike[] | undefined,
  base?: Context,
): Context | undefined {
  if (headers === undefined || headers.length === 0) return undefined;
  let parent: string | undefined;
  let state: string | undefined;
  for (const h of headers) {
    if (h.key === TRACEPARENT_HEADER) parent = text(h.value);
    else if (h.key === TRACESTATE_HEADER) state = text(h.value);
  }
  if (parent === undefined) return undefined;
  const carrier: Record<string, string> = { [TRACEPARENT_HEADER]: parent };
  if (state !== undefined) carrier[TRACESTATE_HEADER] = state;
  // The active context only now: looking it up for every untraced record costs more than the scan.
  const extracted = w3c.extract(base ?? context.active(), carrier, defaultTextMapGetter);
  return trace.getSpanContext(extracted) === undefined ? undefined : extracted;
}
