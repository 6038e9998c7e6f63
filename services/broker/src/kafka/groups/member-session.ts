/**
 * One Kafka group member as the broker holds it: a Tributary GroupSession stream to the group's
 * coordinator, opened by the member's first JoinGroup and driven by its later Kafka requests.
 *
 * The classic protocol is mapped onto Tributary's membership this way (docs/kafka-compatibility.md):
 * - JoinGroup answers once the coordinator has sent an assignment newer than the one the client
 *   last got; its generation is the coordinator's. No member is named leader, so every client
 *   sends an empty SyncGroup, and SyncGroup answers with the coordinator's assignment, computed by
 *   the Tributary assignor of the same name as the client's protocol (range, roundrobin).
 * - A revoke from the coordinator, or an assignment the client has not joined for yet, makes the
 *   next Heartbeat answer REBALANCE_IN_PROGRESS; the (eager) client then gives up its partitions,
 *   commits and rejoins, and that rejoin is its revoke_done.
 * - Liveness: the broker heartbeats the coordinator on the coordinator's interval while the
 *   Kafka client is alive (it sent any group request within its session timeout, or is waiting in
 *   JoinGroup). A client silent for longer is dropped: the stream is cancelled, which removes the
 *   member at once. Kafka's max.poll.interval is enforced by the Kafka client itself.
 */
import type * as grpc from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import type {
  GroupSessionJoin,
  GroupSessionRequest,
  GroupSessionResponse__Output,
  TopicPartitions__Output,
} from '@tributary/proto';

export interface Assignment {
  readonly generation: number;
  readonly partitions: TopicPartitions__Output[];
}

export class MemberSession {
  memberId = '';
  /** The newest assignment from the coordinator. */
  latest: Assignment | undefined;
  /** What the Kafka client was last handed in JoinGroup (generation -1: nothing yet). */
  handed: Assignment = { generation: -1, partitions: [] };
  /** A revoke the client has not answered by rejoining. */
  revoke: { generation: number; partitions: TopicPartitions__Output[] } | undefined;
  /** Why the session ended; set once. */
  ended: TributaryError | undefined;
  #joinedGeneration = -1;
  #heartbeatMs = 3000;
  #lastClientActivity = Date.now();
  #joining = 0;
  #timer: NodeJS.Timeout | undefined;
  #listeners = new Set<() => void>();

  constructor(
    private readonly stream: grpc.ClientDuplexStream<GroupSessionRequest, GroupSessionResponse__Output>,
    readonly join: GroupSessionJoin,
    /** Kafka's protocol name for the assignor the coordinator uses. */
    readonly protocolName: string,
    private readonly onEnd: (session: MemberSession) => void,
  ) {
    stream.on('data', (msg: GroupSessionResponse__Output) => this.#onMessage(msg));
    stream.on('error', (err: Error) => this.#end(fromGrpcError(err)));
    stream.on('end', () => this.#end(new TributaryError('UNKNOWN_MEMBER_ID', 'the group session ended')));
    stream.write({ join });
  }

  get subscription(): readonly string[] {
    return this.join.topics ?? [];
  }

  /** Resolves once the coordinator has answered the join (or the session ended). */
  async joined(timeoutMs: number): Promise<void> {
    await this.#until(() => this.memberId !== '', timeoutMs);
  }

  /**
   * A rejoin: confirms any outstanding revoke (the eager client has given up everything), then
   * waits for an assignment newer than the last one handed out, heartbeating meanwhile.
   */
  async rejoin(timeoutMs: number): Promise<Assignment> {
    this.touch();
    this.#joining++;
    try {
      this.#confirmRevoke();
      await this.#until(() => (this.latest?.generation ?? -1) > this.handed.generation, timeoutMs);
      if (this.ended) throw this.ended;
      if (this.latest === undefined || this.latest.generation <= this.handed.generation)
        throw new TributaryError('REBALANCE_IN_PROGRESS', 'the rebalance has not completed yet');
      this.handed = this.latest;
      return this.handed;
    } finally {
      this.#joining--;
    }
  }

  /** Whether the client must rejoin: a revoke is pending or a newer assignment waits. */
  get rebalancing(): boolean {
    return this.revoke !== undefined || (this.latest?.generation ?? -1) > this.handed.generation;
  }

  /** The Kafka client showed it is alive. */
  touch(): void {
    this.#lastClientActivity = Date.now();
  }

  /** Leaves the group at once. */
  leave(reason: string): void {
    if (this.ended) return;
    this.stream.write({ leave: { reason } });
    // Half-close after the leave so it is delivered; the coordinator then ends the stream.
    this.stream.end();
    this.#end(new TributaryError('UNKNOWN_MEMBER_ID', 'the member left the group'), false);
  }

  #confirmRevoke(): void {
    const revoke = this.revoke;
    if (revoke === undefined || this.ended) return;
    this.revoke = undefined;
    this.stream.write({ revokeDone: { generationId: revoke.generation, partitions: revoke.partitions } });
  }

  #onMessage(msg: GroupSessionResponse__Output): void {
    switch (msg.kind) {
      case 'joined':
        this.memberId = msg.joined!.memberId;
        this.#joinedGeneration = msg.joined!.generationId;
        this.#heartbeatMs = Math.max(100, msg.joined!.heartbeatIntervalMs || 3000);
        this.#startHeartbeats();
        break;
      case 'assignment':
        this.latest = { generation: msg.assignment!.generationId, partitions: msg.assignment!.partitions };
        break;
      case 'revoke':
        this.revoke = { generation: msg.revoke!.generationId, partitions: msg.revoke!.partitions };
        // A client already rejoining holds nothing: confirm at once.
        if (this.#joining > 0) this.#confirmRevoke();
        break;
      case 'error':
        this.#end(TributaryError.fromCode(msg.error!.errorCode as number, msg.error!.errorMessage));
        return;
      default:
        break;
    }
    this.#notify();
  }

  #startHeartbeats(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      if (this.ended) return;
      const timeout = this.join.sessionTimeoutMs || 10_000;
      if (this.#joining === 0 && Date.now() - this.#lastClientActivity > timeout) {
        this.#end(new TributaryError('UNKNOWN_MEMBER_ID', 'the Kafka client stopped heartbeating'));
        return;
      }
      const generationId = this.latest?.generation ?? this.#joinedGeneration;
      this.stream.write({ heartbeat: { generationId } });
      this.stream.write({ pollProgress: {} });
    }, this.#heartbeatMs);
    this.#timer.unref();
  }

  #end(reason: TributaryError, cancel = true): void {
    if (this.ended) return;
    this.ended = reason;
    clearInterval(this.#timer);
    if (cancel) this.stream.cancel();
    this.onEnd(this);
    this.#notify();
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  #until(done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done() && this.ended === undefined) return;
        finish();
      };
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }
}
