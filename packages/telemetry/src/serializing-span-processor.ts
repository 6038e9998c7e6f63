/**
 * A span processor in front of the OTLP exporter's batch processor that hands it each ended
 * sampled span as its OTLP/JSON bytes (`SerializedSpan`, otlp-json.ts) instead of the span.
 *
 * Why: a span waits in the batch processor's queue until 1,024 are queued or the export delay
 * (a second) is over. At 1 % sampling of a producer that is 100 ms or more, so every span and its
 * graph (attributes, context, ids, times) survived the young-generation collections into the old
 * generation: copied twice, then marked and swept. That cost per span is highest at low sampling
 * rates, where spans wait longest, and it is why the cost of tracing was not proportional to the
 * rate (issue 14, docs/observability.md). Written at `end`, the span's objects die young, and
 * what waits is one small object and its bytes outside the JavaScript heap; the request body is
 * those bytes copied once.
 */
import type { Context } from '@opentelemetry/api';
import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SerializedSpan } from './otlp-json';

export class SerializingSpanProcessor implements SpanProcessor {
  /** `batch` must export with `otlpJsonOf` (it receives `SerializedSpan`s, not spans). */
  constructor(private readonly batch: SpanProcessor) {}

  onStart(span: Span, parentContext: Context): void {
    this.batch.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    // As the batch processor itself: an unsampled span is not exported (and not written).
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    // The batch processor reads only the context and the resource of what it queues.
    this.batch.onEnd(new SerializedSpan(span) as unknown as ReadableSpan);
  }

  forceFlush(): Promise<void> {
    return this.batch.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.batch.shutdown();
  }
}
