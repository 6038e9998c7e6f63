import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { GroupSessionJoin__Output } from '@tributary/proto';
import { inMemoryTracer, TEST_PARENT } from '@tributary/telemetry';
import { SessionTracing } from './session-tracing';

const { tracer, exporter } = inMemoryTracer();
const { traceId: TRACE, spanId: JOIN } = TEST_PARENT;

const join = (traced: boolean, memberId = ''): GroupSessionJoin__Output =>
  ({
    groupId: 'orders-app',
    memberId,
    topics: ['orders'],
    traceContext: traced ? { traceparent: `00-${TRACE}-${JOIN}-01`, tracestate: '' } : null,
  }) as unknown as GroupSessionJoin__Output;

const joined = { joined: { memberId: 'm-1', generationId: 3, assignor: 'range', heartbeatIntervalMs: 1000 } };
const assignment = {
  assignment: {
    generationId: 4,
    partitions: [
      { topic: 'orders', partitions: [0, 2] },
      { topic: 'audit', partitions: [1] },
    ],
  },
};

describe('group coordinator session span shapes', () => {
  beforeEach(() => exporter.reset());

  it('a traced join: JoinGroup until joined, then SyncGroup until the assignment, both children of the member’s join', () => {
    const tracing = new SessionTracing(tracer);
    tracing.joinReceived(join(true));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    tracing.sending(joined);
    tracing.sending({ heartbeatAck: {} });
    tracing.sending(assignment);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['JoinGroup orders-app', 'SyncGroup orders-app']);
    for (const s of spans) {
      expect(s.kind).toBe(SpanKind.SERVER);
      expect(s.spanContext().traceId).toBe(TRACE);
      expect(s.parentSpanContext?.spanId).toBe(JOIN);
      expect(s.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.consumer.group.name': 'orders-app',
        'tributary.group.member_id': 'm-1',
      });
    }
    expect(spans[0]!.attributes).toMatchObject({
      'messaging.operation.name': 'JoinGroup',
      'tributary.group.generation_id': 3,
    });
    expect(spans[1]!.attributes).toMatchObject({
      'messaging.operation.name': 'SyncGroup',
      'tributary.group.generation_id': 4,
      'tributary.group.assigned_partitions': 3,
    });
    // Later messages of the session make no spans.
    tracing.sending(assignment);
    expect(exporter.getFinishedSpans()).toHaveLength(2);
  });

  it('a join without trace context makes no span', () => {
    const tracing = new SessionTracing(tracer);
    tracing.joinReceived(join(false));
    tracing.sending(joined);
    tracing.sending(assignment);
    tracing.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('a session that ends during the rebalance ends SyncGroup with an error status', () => {
    const tracing = new SessionTracing(tracer);
    tracing.joinReceived(join(true, 'm-1'));
    tracing.sending(joined);
    tracing.end('the session ended');
    const [, sync] = exporter.getFinishedSpans();
    expect(sync!.name).toBe('SyncGroup orders-app');
    expect(sync!.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'the session ended' });
  });
});
