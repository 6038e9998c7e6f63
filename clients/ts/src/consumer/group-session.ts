/**
 * A member's GroupSession stream to its group's coordinator (group_coordinator.proto, the
 * membership protocol). It joins, heartbeats from a timer (independent of how long the
 * application takes with records), hands assignments and revocations to the consumer, answers
 * `revoke_done` once the consumer has released the partitions, and rejoins after a broken
 * stream or a coordinator change (same member id; an empty one after UNKNOWN_MEMBER_ID, when
 * the consumer's partitions are lost).
 *
 * Fencing by time: a member that has heard nothing from a coordinator (no `joined`, no heartbeat
 * ack) for its session timeout can no longer be sure it owns its partitions (the coordinator may
 * have died and a new one may hand them out), so it treats them as lost and rejoins without
 * claims. The coordinator's side of this is the takeover invariant in membership/group.ts.
 *
 * Ordering: stream messages are handled one at a time through a promise chain, so a revoke's
 * commit finishes before the next assignment is applied. Commit results are the exception: they
 * are matched to their commit at once, since a revoke handler in that chain awaits its commit.
 *
 * Commits travel on the stream once `joined` arrived on it (`commit`): one stream message
 * instead of one CommitOffsets call (grpc-js spends about a millisecond of CPU per call on each
 * side; docs/performance.md).
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import type {
  CommitOffsetsResponse__Output,
  CommitOffsetsTopic,
  GroupSessionCommitResult__Output,
  GroupSessionRequest,
  GroupSessionResponse__Output,
} from '@tributary/proto';
import { Backoff } from '../internal/retry';
import type { Cluster } from '../rpc/cluster';
import { JoinTracing } from '../telemetry/join-tracing';
import { byTopic } from './by-topic';
import type { TopicPartition } from './types';

/** What the session needs to join. */
export interface GroupSessionConfig {
  groupId: string;
  groupInstanceId: string;
  clientId: string;
  topics: readonly string[];
  assignors: readonly string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  maxPollIntervalMs: number;
}

/** The consumer's side of the session. */
export interface GroupSessionHandler {
  /** The full target set of a new generation. */
  assigned(generationId: number, partitions: TopicPartition[]): Promise<void>;
  /** Release these (stop fetching, commit); resolve when done. */
  revoked(generationId: number, partitions: TopicPartition[]): Promise<void>;
  /** Membership was lost (removed by the coordinator): partitions are no longer ours. */
  lost(): Promise<void>;
  /** The owned partitions (sent when rejoining, for cooperative-sticky). */
  owned(): TopicPartition[];
  /** A non-retriable failure: the consumer stops. */
  failed(err: TributaryError): void;
}

type Stream = ClientDuplexStream<GroupSessionRequest, GroupSessionResponse__Output>;

function flatten(tps: ReadonlyArray<{ topic: string; partitions: number[] }>): TopicPartition[] {
  return tps.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
}

function group(tps: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  return [...byTopic(tps)].map(([topic, list]) => ({ topic, partitions: list.map((tp) => tp.partition) }));
}

export class GroupSession {
  memberId = '';
  /** Generation of the latest assignment (or of `joined` before the first one). */
  generationId = -1;
  assignor = '';
  private stream: Stream | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  private lastPollProgress = 0;
  private readonly reconnectBackoff: Backoff;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private joinedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private assignedOnce = false;
  private assignmentWaiters: Array<() => void> = [];
  /** Fires a session timeout after the last word from a coordinator (see "Fencing by time"). */
  private fenceTimer: NodeJS.Timeout | undefined;
  /** The `join <group>` span of the membership change in progress (telemetry/join-tracing.ts). */
  private readonly joinTracing: JoinTracing;
  /** The stream `joined` came on: commits may travel on it. */
  private joinedStream: Stream | undefined;
  private lastCommitId = 0;
  /** Commits sent on a stream and not answered yet, by commit id. */
  private readonly commits = new Map<
    number,
    {
      stream: Stream;
      resolve: (result: CommitOffsetsResponse__Output | undefined) => void;
      reject: (err: TributaryError) => void;
    }
  >();

  constructor(
    private readonly cluster: Cluster,
    private config: GroupSessionConfig,
    private readonly handler: GroupSessionHandler,
  ) {
    this.reconnectBackoff = new Backoff(cluster.retry);
    this.joinTracing = new JoinTracing(config.groupId);
  }

  /** Opens the stream and joins; resolves once the first assignment has been applied. */
  async start(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => this.joinedWaiters.push({ resolve, reject }));
    await context.with(this.joinTracing.begin('join'), () => this.connect(false));
    await first;
  }

  /** Changes the subscription (a rebalance follows). */
  resubscribe(topics: readonly string[]): void {
    this.config = { ...this.config, topics };
    this.joinTracing.begin('resubscribe');
    this.write({ join: this.joinMessage() });
  }

  /** Resolves at the next assignment (after a rejoin), on leave, or after `timeoutMs`. */
  nextAssignment(timeoutMs: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.assignmentWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Commits on the session (the membership protocol's `commit`) at `generationId`, for this
   * member; resolves with the per-partition results, rejects with a group-level refusal.
   * Resolves `undefined` when it cannot say: no joined stream to send it on, or the stream ended
   * before the answer (the commit may or may not have been applied; commits are idempotent, so
   * the caller sends it again with CommitOffsets).
   */
  commit(
    generationId: number,
    topics: CommitOffsetsTopic[],
  ): Promise<CommitOffsetsResponse__Output | undefined> {
    const stream = this.stream;
    if (stream === undefined || stream !== this.joinedStream || this.closing)
      return Promise.resolve(undefined);
    this.lastCommitId = (this.lastCommitId + 1) >>> 0;
    const commitId = this.lastCommitId;
    return new Promise((resolve, reject) => {
      this.commits.set(commitId, { stream, resolve, reject });
      stream.write({ commit: { commitId, generationId, topics } });
    });
  }

  private onCommitResult(result: GroupSessionCommitResult__Output): void {
    const waiting = this.commits.get(result.commitId);
    if (waiting === undefined) return;
    this.commits.delete(result.commitId);
    if (result.errorCode !== 0) {
      waiting.reject(
        TributaryError.fromCode(result.errorCode, result.errorMessage || undefined, {
          group: this.config.groupId,
        }),
      );
    } else {
      waiting.resolve({ topics: result.topics });
    }
  }

  /** The commits `stream` did not answer have no known outcome (see `commit`). */
  private dropCommits(stream: Stream): void {
    for (const [id, waiting] of this.commits) {
      if (waiting.stream !== stream) continue;
      this.commits.delete(id);
      waiting.resolve(undefined);
    }
  }

  /** Tells the coordinator the application is consuming (at most once a second). */
  pollProgress(): void {
    const now = Date.now();
    if (now - this.lastPollProgress < 1000) return;
    this.lastPollProgress = now;
    this.write({ pollProgress: {} });
  }

  /** Leaves the group and closes the stream. */
  async leave(reason: string): Promise<void> {
    this.closing = true;
    for (const w of this.joinedWaiters.splice(0)) w.resolve();
    for (const w of this.assignmentWaiters.splice(0)) w();
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.fenceTimer);
    clearInterval(this.heartbeat);
    this.joinTracing.end();
    const stream = this.stream;
    this.stream = undefined;
    if (stream === undefined) return;
    await new Promise<void>((resolve) => {
      const done = () => resolve();
      const timer = setTimeout(() => {
        stream.cancel();
        done();
      }, 2000);
      stream.once('end', () => {
        clearTimeout(timer);
        done();
      });
      stream.once('error', () => {
        clearTimeout(timer);
        done();
      });
      stream.on('data', () => {});
      stream.write({ leave: { reason } });
      stream.end();
    });
    await this.chain;
  }

  private joinMessage(): GroupSessionRequest['join'] {
    const c = this.config;
    const traceContext = this.joinTracing.traceContext();
    return {
      ...(traceContext === undefined ? {} : { traceContext }),
      groupId: c.groupId,
      memberId: this.memberId,
      groupInstanceId: c.groupInstanceId,
      clientId: c.clientId,
      topics: [...c.topics],
      assignors: [...c.assignors],
      sessionTimeoutMs: c.sessionTimeoutMs,
      rebalanceTimeoutMs: c.rebalanceTimeoutMs,
      maxPollIntervalMs: c.maxPollIntervalMs,
      ownedPartitions: group(this.handler.owned()),
    };
  }

  private write(message: GroupSessionRequest): void {
    const stream = this.stream;
    if (stream !== undefined && !this.closing) stream.write(message);
  }

  private async connect(refresh: boolean): Promise<void> {
    if (this.closing) return;
    let address: string;
    try {
      address = await this.cluster.findCoordinator(this.config.groupId, refresh);
    } catch (err) {
      const e = err instanceof TributaryError ? err : fromGrpcError(err as Error);
      if (!e.retriable) {
        this.fail(e);
        return;
      }
      this.scheduleReconnect();
      return;
    }
    const stream = this.cluster.coordinatorClient(address).GroupSession();
    this.stream = stream;
    // The stream's events run in the context its connection was made in (the join span's, via
    // the socket's async context); the consumer's work they start (fetch streams, handlers)
    // must not become part of that trace, so they run with no active span.
    stream.on('data', (msg: GroupSessionResponse__Output) => {
      if (msg.kind === 'commitResult') {
        this.onCommitResult(msg.commitResult!);
        return;
      }
      context.with(ROOT_CONTEXT, () => {
        this.chain = this.chain
          .then(() => this.onMessage(stream, msg))
          .catch((err) => this.onHandlerError(err));
      });
    });
    stream.on('error', (err) =>
      context.with(ROOT_CONTEXT, () => this.onStreamEnd(stream, fromGrpcError(err))),
    );
    stream.on('end', () => context.with(ROOT_CONTEXT, () => this.onStreamEnd(stream, undefined)));
    stream.write({ join: this.joinMessage() });
  }

  /** A coordinator answered: our ownership is good for another session timeout. */
  private heardFromCoordinator(): void {
    clearTimeout(this.fenceTimer);
    this.fenceTimer = setTimeout(() => this.fenceExpired(), this.config.sessionTimeoutMs);
    this.fenceTimer.unref();
  }

  /** A session timeout without a coordinator: give the partitions up and rejoin without claims. */
  private fenceExpired(): void {
    this.fenceTimer = undefined;
    if (this.closing || this.handler.owned().length === 0) return;
    this.chain = this.chain
      .then(async () => {
        if (this.closing) return;
        await this.handler.lost();
        // A stream still open (a paused coordinator) is dropped so the rejoin carries no claims.
        const stream = this.stream;
        if (stream !== undefined) {
          this.stream = undefined;
          clearInterval(this.heartbeat);
          stream.cancel();
          this.scheduleReconnect();
        }
      })
      .catch((err) => this.onHandlerError(err));
  }

  /** A non-retriable failure: `start()` rejects with it and the consumer stops. */
  private fail(err: TributaryError): void {
    this.joinTracing.end(err);
    for (const w of this.joinedWaiters.splice(0)) w.reject(err);
    this.handler.failed(err);
  }

  private onHandlerError(err: unknown): void {
    const e = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
    this.fail(e);
  }

  private onStreamEnd(stream: Stream, err: TributaryError | undefined): void {
    this.dropCommits(stream);
    if (stream !== this.stream) return;
    this.stream = undefined;
    clearInterval(this.heartbeat);
    if (this.closing) return;
    this.joinTracing.interrupted(err?.errorName ?? 'stream ended');
    if (err !== undefined && !err.retriable && err.errorName !== 'UNKNOWN_SERVER_ERROR') {
      this.fail(err);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing) return;
    this.reconnectTimer = setTimeout(
      () => void context.with(this.joinTracing.begin('rejoin'), () => this.connect(true)),
      this.reconnectBackoff.next(),
    );
  }

  private async onMessage(stream: Stream, msg: GroupSessionResponse__Output): Promise<void> {
    if (stream !== this.stream) return;
    switch (msg.kind) {
      case 'joined': {
        const j = msg.joined!;
        // A new member id (first join, or a rejoin at another coordinator after a handover)
        // starts from the joined generation; the same member keeps its assignment's generation.
        const sameMember = this.memberId === j.memberId;
        this.memberId = j.memberId;
        this.assignor = j.assignor;
        this.joinedStream = stream;
        if (!this.assignedOnce || !sameMember) this.generationId = j.generationId;
        this.joinTracing.joined(j.memberId, j.generationId);
        this.reconnectBackoff.reset();
        this.heardFromCoordinator();
        clearInterval(this.heartbeat);
        const interval = j.heartbeatIntervalMs > 0 ? j.heartbeatIntervalMs : 3000;
        this.heartbeat = setInterval(
          () => this.write({ heartbeat: { generationId: this.generationId } }),
          interval,
        );
        this.heartbeat.unref();
        return;
      }
      case 'assignment': {
        const a = msg.assignment!;
        this.generationId = a.generationId;
        this.assignedOnce = true;
        const partitions = flatten(a.partitions);
        await this.handler.assigned(a.generationId, partitions);
        this.joinTracing.assigned(a.generationId, partitions.length);
        for (const w of this.joinedWaiters.splice(0)) w.resolve();
        for (const w of this.assignmentWaiters.splice(0)) w();
        return;
      }
      case 'heartbeatAck':
        this.heardFromCoordinator();
        return;
      case 'revoke': {
        const r = msg.revoke!;
        this.joinTracing.begin('rebalance');
        this.joinTracing.revoked(r.generationId, flatten(r.partitions).length);
        await this.handler.revoked(r.generationId, flatten(r.partitions));
        this.write({ revokeDone: { generationId: r.generationId, partitions: r.partitions } });
        return;
      }
      case 'error': {
        const e = msg.error!;
        const err = TributaryError.fromCode(e.errorCode, e.errorMessage || undefined);
        if (err.errorName === 'UNKNOWN_MEMBER_ID' || err.errorName === 'ILLEGAL_GENERATION') {
          // Removed from the group: what we owned is gone; rejoin as a new member.
          this.memberId = '';
          this.assignedOnce = false;
          await this.handler.lost();
          this.stream = undefined;
          stream.cancel();
          clearInterval(this.heartbeat);
          this.scheduleReconnect();
          return;
        }
        if (err.retriable) {
          this.stream = undefined;
          stream.cancel();
          clearInterval(this.heartbeat);
          this.scheduleReconnect();
          return;
        }
        this.fail(err);
        return;
      }
      default:
        return;
    }
  }
}
