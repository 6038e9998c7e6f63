import type { Tracer } from '@opentelemetry/api';
import { TributaryError } from '@tributary/errors';
import type {
  GroupCoordinatorServiceHandlers,
  GroupSessionCommit__Output,
  GroupSessionJoin__Output,
  GroupSessionRequest__Output,
} from '@tributary/proto';
import type { Logger } from '@tributary/service-kit';
import { ASSIGNORS, DEFAULT_ASSIGNOR_PREFERENCE } from '../assignors';
import type { GroupManager, OwnedGroup } from '../group-manager';
import type { JoinRequest, MemberSession } from '../membership/member';
import { fromTopicPartitions } from '../topic-partition';
import { acceptCommit, type OffsetHandlerDeps } from './offsets';
import { SessionTracing } from './session-tracing';
import { checkGroupId, peerHost, wireCode } from './validate';

/** Session timeouts a member may ask for, and the defaults for those it leaves at 0. */
export interface SessionSettings {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxPollIntervalMs: number;
}

type Call = Parameters<GroupCoordinatorServiceHandlers['GroupSession']>[0];

/** Checks a `join` and fills in defaults; throws the error the session ends with. */
export function toJoinRequest(
  join: GroupSessionJoin__Output,
  host: string,
  settings: SessionSettings,
): JoinRequest {
  checkGroupId(join.groupId);
  const sessionTimeoutMs = join.sessionTimeoutMs || settings.sessionTimeoutMs;
  if (sessionTimeoutMs < settings.minSessionTimeoutMs || sessionTimeoutMs > settings.maxSessionTimeoutMs) {
    throw new TributaryError(
      'INVALID_SESSION_TIMEOUT',
      `session_timeout_ms ${sessionTimeoutMs} is outside [${settings.minSessionTimeoutMs}, ${settings.maxSessionTimeoutMs}]`,
    );
  }
  if (join.rebalanceTimeoutMs < 0 || join.maxPollIntervalMs < 0) {
    throw new TributaryError(
      'INVALID_REQUEST',
      'rebalance_timeout_ms and max_poll_interval_ms must not be negative',
    );
  }
  const listed = join.assignors.length > 0 ? join.assignors : DEFAULT_ASSIGNOR_PREFERENCE;
  const assignors = listed.filter((name) => ASSIGNORS.has(name));
  if (assignors.length === 0) {
    throw new TributaryError(
      'INCONSISTENT_GROUP_PROTOCOL',
      `None of the assignors [${listed.join(', ')}] is known; use ${[...ASSIGNORS.keys()].join(', ')}`,
    );
  }
  return {
    memberId: join.memberId,
    instanceId: join.groupInstanceId,
    clientId: join.clientId,
    host,
    topics: [...new Set(join.topics.filter((t) => t.length > 0))],
    assignors,
    sessionTimeoutMs,
    rebalanceTimeoutMs: join.rebalanceTimeoutMs || settings.rebalanceTimeoutMs,
    maxPollIntervalMs: join.maxPollIntervalMs || settings.maxPollIntervalMs,
    owned: fromTopicPartitions(join.ownedPartitions),
  };
}

/**
 * GroupSession: one member's bidirectional stream (the membership protocol at the top of
 * group_coordinator.proto). Messages are handled in arrival order; the first `join` claims or
 * finds the group (NOT_COORDINATOR if another coordinator owns it). Failures are sent in-band as
 * `error`, then the stream ends. A stream that ends without `leave` (cancelled, broken, or
 * half-closed by the client) is a broken session: dynamic members are removed at once, static
 * ones keep their partitions until their session timeout.
 */
export function groupSessionHandler(deps: {
  manager: GroupManager;
  settings: SessionSettings;
  logger: Logger;
  /** The process's tracer: a traced `join` gets JoinGroup and SyncGroup spans (session-tracing.ts). */
  tracer: Tracer;
  /** What a `commit` on the session needs (the same path as CommitOffsets). */
  offsets: OffsetHandlerDeps;
}): GroupCoordinatorServiceHandlers['GroupSession'] {
  return (call: Call) => {
    let ended = false;
    let bound: { owned: OwnedGroup; memberId: string } | undefined;
    let queue: Promise<void> = Promise.resolve();
    const host = peerHost(call.getPeer());
    const tracing = new SessionTracing(deps.tracer);

    const session: MemberSession = {
      send(message) {
        if (ended) return;
        tracing.sending(message);
        call.write(message);
      },
      end(error) {
        if (ended) return;
        ended = true;
        tracing.end(error);
        if (error) call.write({ error: { errorCode: wireCode(error.code), errorMessage: error.message } });
        call.end();
      },
    };

    const fail = (err: unknown) => {
      const error =
        err instanceof TributaryError
          ? err
          : new TributaryError('UNKNOWN_SERVER_ERROR', (err as Error).message);
      if (error.errorName === 'UNKNOWN_SERVER_ERROR') deps.logger.error({ err }, 'group session failed');
      session.end(error);
      broken();
    };

    const broken = () => {
      ended = true;
      tracing.end('the session ended');
      if (bound) bound.owned.group.sessionClosed(bound.memberId, session);
    };

    /**
     * Fenced and queued now, in the stream's order (so a member's commits reach etcd in the order
     * it sent them), but answered when durable without holding up the messages behind it: a
     * heartbeat or revoke_done never waits for an etcd write.
     */
    const commitOnSession = (owned: OwnedGroup, memberId: string, commit: GroupSessionCommit__Output) => {
      const answer = (err: unknown) => {
        const error =
          err instanceof TributaryError
            ? err
            : new TributaryError('UNKNOWN_SERVER_ERROR', (err as Error).message);
        session.send({
          commitResult: {
            commitId: commit.commitId,
            errorCode: wireCode(error.code),
            errorMessage: error.message,
          },
        });
      };
      let accepted: ReturnType<typeof acceptCommit>;
      try {
        accepted = acceptCommit(deps.offsets, owned, memberId, commit.generationId, commit.topics);
      } catch (err) {
        answer(err);
        return;
      }
      accepted.durable.then(
        () => session.send({ commitResult: { commitId: commit.commitId, ...accepted.response() } }),
        answer,
      );
    };

    /** A message queued behind a `join` (or a `join`: it acquires the group, which may wait). */
    const handle = async (message: GroupSessionRequest__Output) => {
      if (ended) return;
      if (message.kind !== 'join') {
        handleNow(message);
        return;
      }
      const join = message.join!;
      tracing.joinReceived(join);
      const request = toJoinRequest(join, host, deps.settings);
      if (bound && bound.owned.id !== join.groupId) {
        throw new TributaryError(
          'INVALID_REQUEST',
          'A session joins one group; open another stream for another group',
        );
      }
      const owned = bound?.owned ?? (await deps.manager.acquire(join.groupId));
      if (ended) return;
      const memberId = owned.group.join(request, session, bound?.memberId);
      bound = { owned, memberId };
    };

    /** Every message but `join`: nothing to wait for. */
    const handleNow = (message: GroupSessionRequest__Output) => {
      if (ended) return;
      if (!bound)
        throw new TributaryError('INVALID_REQUEST', 'The first message of a GroupSession must be join');
      const { group } = bound.owned;
      const member = group.member(bound.memberId);
      // A static member that rejoined got a new id; follow it while this session is still its own.
      if (!member || member.session !== session) {
        const mine = group.memberList().find((m) => m.session === session);
        if (!mine)
          throw new TributaryError('UNKNOWN_MEMBER_ID', 'This session no longer belongs to a member');
        bound = { owned: bound.owned, memberId: mine.memberId };
      }
      switch (message.kind) {
        case 'heartbeat':
          group.heartbeat(bound.memberId, message.heartbeat!.generationId);
          return;
        case 'pollProgress':
          group.pollProgress(bound.memberId);
          return;
        case 'revokeDone':
          group.revokeDone(
            bound.memberId,
            message.revokeDone!.generationId,
            fromTopicPartitions(message.revokeDone!.partitions),
          );
          return;
        case 'leave':
          group.leave(bound.memberId, message.leave!.reason);
          session.end();
          return;
        case 'commit':
          commitOnSession(bound.owned, bound.memberId, message.commit!);
          return;
        default:
          throw new TributaryError('INVALID_REQUEST', 'Empty GroupSession message');
      }
    };

    // Messages queued behind a `join` still acquiring its group (the one step that waits).
    let waiting = 0;
    call.on('data', (message: GroupSessionRequest__Output) => {
      if (waiting === 0 && message.kind !== 'join') {
        // Nothing ahead of it: handled at once, in order, without promises per message (a
        // member's commits and heartbeats are most of a session's messages).
        try {
          handleNow(message);
        } catch (err) {
          fail(err);
        }
        return;
      }
      waiting++;
      queue = queue
        .then(() => handle(message))
        .catch(fail)
        .finally(() => {
          waiting--;
        });
    });
    call.on('end', () => {
      queue = queue.then(() => {
        if (!ended) call.end();
        broken();
      });
    });
    call.on('cancelled', () => {
      queue = queue.then(broken);
    });
    call.on('error', () => {
      queue = queue.then(broken);
    });
  };
}
