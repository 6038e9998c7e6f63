/**
 * Telemetry of the fetch path, in one place: the response counter and bytes-out metrics of both
 * fetch calls, and a span per FetchStream response. The unary `Fetch` gets its SERVER span from
 * the service kit's handler wrapper; a stream has no such span (a span as long as a stream says
 * nothing), so each response is one, named like the unary call's, as the unit of work a unary
 * fetch would have been. Its parent is the `traceparent` the consumer opened the stream with
 * (a sampled span of its own), else it is a root the broker's sampler decides on: under the
 * default parent-based sampling of a cluster that follows its producers
 * (`parentbased_traceidratio`, `parentbased_always_off`) roots are rare or none, and an
 * unsampled response costs no span (`startSampledSpan`).
 */
import type * as grpc from '@grpc/grpc-js';
import { type Context, ROOT_CONTEXT, SpanKind, type Tracer } from '@opentelemetry/api';
import type { FetchTopicResponse } from '@tributary/proto';
import {
  Attr,
  contextFromMetadata,
  MESSAGING_SYSTEM,
  SpanName,
  startSampledSpan,
} from '@tributary/telemetry';
import type { BrokerMetrics } from '../metrics';

/** Sees every FetchStream response of one stream. */
export type FetchStreamResponseObserver = (
  res: { topics?: FetchTopicResponse[] },
  readySinceMs: number,
) => void;

/** The broker's fetch telemetry over its metrics and tracer. */
export interface FetchObserver {
  /** Counts one unary Fetch response. */
  unary(res: { topics?: FetchTopicResponse[] }): void;
  /** Counts one Fetch response of the Kafka listener (its span is the listener's request). */
  kafka(res: { topics?: FetchTopicResponse[] }): void;
  /** The observer of one FetchStream, opened with `metadata`. */
  stream(metadata: grpc.Metadata): FetchStreamResponseObserver;
}

const [SERVICE, METHOD] = SpanName.fetchStreamResponse.split('/') as [string, string];

/** Counts a fetch response and its record bytes per topic; returns the total bytes. */
function count(metrics: BrokerMetrics | undefined, kind: string, res: { topics?: FetchTopicResponse[] }) {
  let total = 0;
  metrics?.fetchResponses.inc({ kind });
  for (const t of res.topics ?? []) {
    let bytes = 0;
    for (const p of t.partitions ?? []) bytes += (p.recordBatches as Buffer | undefined)?.length ?? 0;
    if (bytes > 0) metrics?.bytesOut.inc({ topic: t.topic ?? '' }, bytes);
    total += bytes;
  }
  return total;
}

export function fetchObserver(
  metrics: BrokerMetrics | undefined,
  tracer: Tracer,
  tracing: boolean,
): FetchObserver {
  return {
    unary: (res) => void count(metrics, 'unary', res),
    kafka: (res) => void count(metrics, 'kafka', res),
    stream(metadata) {
      const parent: Context | undefined = tracing
        ? (contextFromMetadata(metadata, ROOT_CONTEXT) ?? ROOT_CONTEXT)
        : undefined;
      return (res, readySinceMs) => {
        const bytes = count(metrics, 'stream', res);
        if (parent === undefined) return;
        const topics = res.topics ?? [];
        const span = startSampledSpan(
          tracer,
          SpanName.fetchStreamResponse,
          SpanKind.SERVER,
          () => ({
            startTime: readySinceMs,
            attributes: {
              [Attr.rpcSystem]: 'grpc',
              [Attr.rpcService]: SERVICE,
              [Attr.rpcMethod]: METHOD,
              [Attr.messagingSystem]: MESSAGING_SYSTEM,
              [Attr.messagingOperationType]: 'receive',
              ...(topics.length === 1 ? { [Attr.destinationName]: topics[0]!.topic ?? '' } : {}),
              [Attr.fetchPartitions]: topics.reduce((n, t) => n + (t.partitions?.length ?? 0), 0),
              [Attr.fetchBytes]: bytes,
            },
          }),
          parent,
        );
        span?.end();
      };
    },
  };
}
