/**
 * The consumer's tracing, called from one place (the runner that hands records to
 * `eachMessage`/`eachBatch`): a `poll <topic>` CLIENT span per batch of records delivered from a
 * partition, and a `process <topic>` CONSUMER span around the handler for records whose producer
 * sampled them (a `traceparent` header). `process` links to each producer context (the messaging
 * conventions' default), and for a record handled alone it is also the child of it, so the
 * consumer's work is in the producer's trace. A record without the header gets no process span.
 */
import {
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  Attr,
  contextFromHeaders,
  MESSAGING_SYSTEM,
  SampledSpans,
  SpanName,
  startSampledSpan,
  TRACER_NAME,
} from '@tributary/telemetry';
import type { ConsumerMessage } from '../consumer/types';

const tracer = () => trace.getTracer(TRACER_NAME);

function base(topic: string, partition: number, groupId: string | undefined) {
  return {
    [Attr.messagingSystem]: MESSAGING_SYSTEM,
    [Attr.destinationName]: topic,
    [Attr.partitionId]: String(partition),
    ...(groupId ? { [Attr.consumerGroup]: groupId } : {}),
  };
}

/** Records one delivered batch as a `poll` span (sampled by the consumer's own sampler). */
export function recordPoll(
  topic: string,
  partition: number,
  groupId: string | undefined,
  count: number,
): void {
  const span = startSampledSpan(tracer(), SpanName.poll(topic), SpanKind.CLIENT, () => ({
    attributes: {
      ...base(topic, partition, groupId),
      [Attr.messagingOperationType]: 'receive',
      [Attr.batchMessageCount]: count,
    },
  }));
  span?.end();
}

function keyAttribute(key: unknown): Record<string, string> {
  if (typeof key === 'string') return { [Attr.kafkaMessageKey]: key };
  if (Buffer.isBuffer(key)) return { [Attr.kafkaMessageKey]: key.toString() };
  return {};
}

async function runIn<T>(span: Span, parent: Context, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String((err as Error)?.message ?? err) });
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `eachMessage` for one record, inside a `process` span when its producer sampled it. */
export function processMessage<T>(
  message: ConsumerMessage<unknown, unknown>,
  groupId: string | undefined,
  fn: () => Promise<T> | T,
): Promise<T> | T {
  const producer = contextFromHeaders(message.headers);
  if (producer === undefined) return fn();
  const span = startSampledSpan(
    tracer(),
    SpanName.process(message.topic),
    SpanKind.CONSUMER,
    () => ({
      links: [{ context: trace.getSpanContext(producer)! }],
      attributes: {
        ...base(message.topic, message.partition, groupId),
        [Attr.messagingOperationType]: 'process',
        [Attr.kafkaOffset]: message.offset,
        ...keyAttribute(message.key),
      },
    }),
    producer,
  );
  return span === undefined ? fn() : runIn(span, producer, fn);
}

/**
 * Runs `eachBatch`, inside a `process` span linked to every sampled record's producer context.
 * A batch of several records has no parent (links only), so the consumer's own sampler decides
 * first, before any header is read: an unsampled batch (99 % of them at 1 %) costs one draw, no
 * header scan and no extracted context.
 */
export function processBatch<T>(
  topic: string,
  partition: number,
  groupId: string | undefined,
  messages: readonly ConsumerMessage<unknown, unknown>[],
  fn: () => Promise<T> | T,
): Promise<T> | T {
  // One record: its producer's context is the parent (allowed by the conventions).
  const only = messages.length === 1 ? contextFromHeaders(messages[0]!.headers) : undefined;
  if (messages.length === 1 && only === undefined) return fn();
  const parent = only ?? context.active();
  const spans = new SampledSpans(tracer(), SpanName.process(topic), SpanKind.CONSUMER, parent);
  if (!spans.next()) return fn();
  const links: Link[] = [];
  for (const m of messages) {
    const c = m === messages[0] && only !== undefined ? only : contextFromHeaders(m.headers);
    if (c !== undefined) links.push({ context: trace.getSpanContext(c)! });
  }
  if (links.length === 0) {
    spans.skip();
    return fn();
  }
  const span = spans.start(() => ({
    links,
    attributes: {
      ...base(topic, partition, groupId),
      [Attr.messagingOperationType]: 'process',
      [Attr.batchMessageCount]: messages.length,
    },
  }));
  return span === undefined ? fn() : runIn(span, parent, fn);
}
