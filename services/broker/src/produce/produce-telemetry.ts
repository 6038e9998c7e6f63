/**
 * Telemetry of the produce path, threaded through `ProduceDeps.observer` so produce.ts carries
 * three calls and no telemetry logic. Metrics for every request; spans only for a request whose
 * `trace_context` names a sampled producer span — the broker never starts a produce trace of its
 * own, so an untraced request costs no span.
 *
 * Span shape (names in @tributary/telemetry): `produce` (SERVER, child of the producer's `send`)
 * → `append <topic>` for the partition holding that record (the one the client marks `traced`;
 * every partition when none is marked, as older clients send), and under acks=all
 * `replication wait <topic>` for it, which ends when the high watermark covers the batch (or the
 * wait fails). Other partitions of the request belong to records not in that trace: at 1 %
 * sampling nearly every request holds a sampled record, and spans for all its partitions were
 * most of the broker's tracing cost.
 */
import { type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { ProduceRequest__Output } from '@tributary/proto';
import { Attr, contextFromField, MESSAGING_SYSTEM, SpanName, startSampledSpan } from '@tributary/telemetry';
import type { BrokerMetrics } from '../metrics';

/** One produce request's telemetry, from receipt to answer. */
export interface ProduceScope {
  /**
   * Runs one partition's append (synchronous), inside its span when the partition is traced
   * (`traced`: the client's mark on the partition data); counts its bytes.
   */
  append<T>(topic: string, partition: number, traced: boolean, bytes: number, fn: () => T): T;
  /**
   * Covers one partition's acks=all wait: returns the callback to give the wait, which ends the
   * span (when traced) and calls `done` with the wait's error or undefined.
   */
  replicationWait<E>(
    topic: string,
    partition: number,
    traced: boolean,
    done: (err: E | undefined) => void,
  ): (err: E | undefined) => void;
  /** The request is answered. */
  end(): void;
}

export interface ProduceObserver {
  begin(req: ProduceRequest__Output, acks: number): ProduceScope;
}

const attrs = (topic: string, partition: number) => ({
  [Attr.messagingSystem]: MESSAGING_SYSTEM,
  [Attr.destinationName]: topic,
  [Attr.partitionId]: String(partition),
});

function endSpan(span: Span, err: unknown): void {
  if (err !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
  }
  span.end();
}

/** The broker's produce observer over its metrics and tracer. */
export function produceObserver(metrics: BrokerMetrics, tracer: Tracer, tracing: boolean): ProduceObserver {
  return {
    begin(req, acks) {
      const labels = { acks: String(acks) };
      metrics.produceRequests.inc(labels);
      const stop = metrics.produceDuration.startTimer(labels);
      const parent = tracing ? contextFromField(req.traceContext) : undefined;
      // Started through the head sampler (a lean span when sampled): the client's request
      // names a sampled send, so the parent-based sampler keeps it.
      const span =
        parent === undefined
          ? undefined
          : startSampledSpan(
              tracer,
              SpanName.produce,
              SpanKind.SERVER,
              () => ({
                attributes: {
                  [Attr.messagingSystem]: MESSAGING_SYSTEM,
                  [Attr.acks]: acks,
                  [Attr.batchMessageCount]: req.topics.reduce((n, t) => n + t.partitions.length, 0),
                },
              }),
              parent,
            );
      const inside = span === undefined ? undefined : trace.setSpan(parent!, span);
      // Partitions the client marked: only they are traced; none marked (older client): all.
      const marked = inside !== undefined && req.topics.some((t) => t.partitions.some((p) => p.traced));
      const untraced = (traced: boolean) => inside === undefined || (marked && !traced);
      return {
        append(topic, partition, traced, bytes, fn) {
          metrics.bytesIn.inc({ topic }, bytes);
          if (untraced(traced)) return fn();
          const child = startSampledSpan(
            tracer,
            SpanName.append(topic),
            SpanKind.INTERNAL,
            () => ({ attributes: attrs(topic, partition) }),
            inside,
          );
          if (child === undefined) return fn();
          try {
            return fn();
          } catch (err) {
            endSpan(child, err);
            throw err;
          } finally {
            if (child.isRecording()) child.end();
          }
        },
        replicationWait(topic, partition, traced, done) {
          if (untraced(traced)) return done;
          const child = startSampledSpan(
            tracer,
            SpanName.replicationWait(topic),
            SpanKind.INTERNAL,
            () => ({ attributes: attrs(topic, partition) }),
            inside,
          );
          if (child === undefined) return done;
          return (err) => {
            endSpan(child, err);
            done(err);
          };
        },
        end() {
          stop();
          span?.end();
        },
      };
    },
  };
}
