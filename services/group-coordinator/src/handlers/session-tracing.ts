/**
 * The coordinator's side of a member's `join <group>` span, called from one place (the
 * GroupSession handler): when a `join` carries the member's trace context (set only when the
 * member sampled its join), a `JoinGroup <group>` SERVER span from receipt until `joined` is
 * sent, then a `SyncGroup <group>` SERVER span until the member's assignment is sent: the
 * rebalance the join caused, as seen by the coordinator. Both are children of the member's span.
 * A join without a trace context (the usual case when sampling is low, and every heartbeat and
 * poll-progress message) costs a field check and nothing else.
 */
import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { GroupSessionJoin__Output, GroupSessionResponse } from '@tributary/proto';
import { Attr, contextFromField, MESSAGING_SYSTEM, SpanName, startSampledSpan } from '@tributary/telemetry';

type Phase = 'join' | 'sync';

export class SessionTracing {
  #span: Span | undefined;
  #phase: Phase = 'join';
  #groupId = '';
  #parent = ROOT_CONTEXT;

  constructor(private readonly tracer: Tracer) {}

  /** A `join` arrived: starts its JoinGroup span when the member traced it (ends an open one). */
  joinReceived(join: GroupSessionJoin__Output): void {
    this.end(); // a new join (resubscribe) while the previous one is open: it ends here
    const parent = contextFromField(join.traceContext, ROOT_CONTEXT);
    if (parent === undefined) return;
    this.#groupId = join.groupId;
    this.#parent = parent;
    this.#start('join', join.memberId === '' ? {} : { [Attr.groupMemberId]: join.memberId });
  }

  /** A message is about to be sent to the member: `joined` and `assignment` move the spans on. */
  sending(message: GroupSessionResponse): void {
    const span = this.#span;
    if (span === undefined) return;
    if (message.joined && this.#phase === 'join') {
      const { memberId, generationId } = message.joined;
      span.setAttribute(Attr.groupMemberId, memberId ?? '');
      span.setAttribute(Attr.groupGenerationId, generationId ?? 0);
      span.end();
      this.#span = undefined;
      this.#start('sync', { [Attr.groupMemberId]: memberId ?? '' });
      return;
    }
    if (message.assignment) {
      span.setAttribute(Attr.groupGenerationId, message.assignment.generationId ?? 0);
      span.setAttribute(
        Attr.groupAssignedPartitions,
        (message.assignment.partitions ?? []).reduce((n, t) => n + (t.partitions?.length ?? 0), 0),
      );
      span.end();
      this.#span = undefined;
    }
  }

  /** The session ended (or the join failed) before the span's phase was over. */
  end(error?: unknown): void {
    const span = this.#span;
    if (span === undefined) return;
    this.#span = undefined;
    if (error !== undefined)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: typeof error === 'string' ? error : String((error as Error)?.message ?? error),
      });
    span.end();
  }

  #start(phase: Phase, attributes: Record<string, string>): void {
    this.#phase = phase;
    const group = this.#groupId;
    this.#span = startSampledSpan(
      this.tracer,
      phase === 'join' ? SpanName.coordinatorJoin(group) : SpanName.coordinatorSync(group),
      SpanKind.SERVER,
      () => ({
        attributes: {
          [Attr.messagingSystem]: MESSAGING_SYSTEM,
          [Attr.consumerGroup]: group,
          [Attr.messagingOperationName]: phase === 'join' ? 'JoinGroup' : 'SyncGroup',
          ...attributes,
        },
      }),
      this.#parent,
    );
  }
}
