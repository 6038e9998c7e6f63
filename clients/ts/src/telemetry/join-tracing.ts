/**
 * The consumer's group membership tracing, called from one place (group-session.ts): a
 * `join <group>` CLIENT span from the moment the member starts a membership change on its
 * GroupSession stream until the coordinator's new assignment has been applied, i.e. the time
 * the member spends without a settled assignment. It starts at the first join, a rejoin after a
 * broken stream or a lost membership, a resubscribe, or a revoke that opens a rebalance started
 * by another member; the coordinator's answers along the way are events. A sampled span's context
 * travels on the `join` message it sends (`trace_context`), so the coordinator's JoinGroup and
 * SyncGroup spans are its children; the FindCoordinator call made while joining runs inside it
 * too (its served span is a child).
 */
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  Attr,
  MESSAGING_SYSTEM,
  SpanName,
  startSampledSpan,
  TRACER_NAME,
  traceContextField,
} from '@tributary/telemetry';

/** Why a membership change started. */
export type JoinReason = 'join' | 'rejoin' | 'resubscribe' | 'rebalance';

export class JoinTracing {
  #span: Span | undefined;

  constructor(private readonly groupId: string) {}

  /**
   * A membership change starts (unless one is already open, which it joins) and returns the
   * context to run its calls in. The first join is a child of the application's active span;
   * later ones (timers, stream events) are roots.
   */
  begin(reason: JoinReason): Context {
    if (this.#span === undefined) {
      const parent = reason === 'join' ? context.active() : ROOT_CONTEXT;
      this.#span = startSampledSpan(
        trace.getTracer(TRACER_NAME),
        SpanName.join(this.groupId),
        SpanKind.CLIENT,
        () => ({
          attributes: {
            [Attr.messagingSystem]: MESSAGING_SYSTEM,
            [Attr.consumerGroup]: this.groupId,
            [Attr.messagingOperationName]: 'join',
            [Attr.groupJoinReason]: reason,
          },
        }),
        parent,
      );
      if (this.#span === undefined) return parent;
      return trace.setSpan(parent, this.#span);
    }
    this.#span.addEvent(reason);
    return trace.setSpan(ROOT_CONTEXT, this.#span);
  }

  /** The W3C context a `join` message carries: the open span's, when it is sampled. */
  traceContext(): { traceparent: string; tracestate: string } | undefined {
    return traceContextField(this.#span?.spanContext());
  }

  /** The coordinator accepted the join. */
  joined(memberId: string, generationId: number): void {
    this.#span?.addEvent('joined', {
      [Attr.groupMemberId]: memberId,
      [Attr.groupGenerationId]: generationId,
    });
    this.#span?.setAttribute(Attr.groupMemberId, memberId);
  }

  /** Partitions were revoked on the way (cooperative or eager rebalance). */
  revoked(generationId: number, partitions: number): void {
    this.#span?.addEvent('revoked', {
      [Attr.groupGenerationId]: generationId,
      [Attr.groupAssignedPartitions]: partitions,
    });
  }

  /** The stream broke or the coordinator answered an error; the rejoin continues the span. */
  interrupted(reason: string): void {
    this.#span?.addEvent('interrupted', { [Attr.errorType]: reason });
  }

  /** The new assignment is applied: the membership change is over. */
  assigned(generationId: number, partitions: number): void {
    const span = this.#span;
    if (span === undefined) return;
    this.#span = undefined;
    span.setAttribute(Attr.groupGenerationId, generationId);
    span.setAttribute(Attr.groupAssignedPartitions, partitions);
    span.end();
  }

  /** The member left, or failed for good, before an assignment. */
  end(error?: unknown): void {
    const span = this.#span;
    if (span === undefined) return;
    this.#span = undefined;
    if (error !== undefined)
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
    span.end();
  }
}
