/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup over Kafka, proxied to Tributary's group
 * coordinator through one MemberSession per member (see member-session.ts for the mapping).
 * Sessions are kept per broker by group and member id; a member id this broker does not hold
 * answers UNKNOWN_MEMBER_ID, after which a Kafka client rejoins with an empty id.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type { GroupSessionJoin } from '@tributary/proto';
import type { ClusterClients } from '../cluster-clients';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';
import { decodeSubscriptionTopics, encodeAssignment } from './consumer-protocol';
import { MemberSession } from './member-session';

const NONE = 0;
const ILLEGAL_GENERATION = 22;
const INCONSISTENT_GROUP_PROTOCOL = 23;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
const NOT_COORDINATOR = 16;

/**
 * Kafka client assignor names and the Tributary assignor each maps to. Only eager assignors are
 * offered: the classic protocol's cooperative rebalancing needs the client to revoke after
 * SyncGroup, which a server-side assignment does not model.
 */
const ASSIGNORS: Readonly<Record<string, string>> = {
  range: 'range',
  roundrobin: 'roundrobin',
  RoundRobinAssigner: 'roundrobin', // kafkajs
};

const errorOf = (err: unknown): number =>
  err instanceof TributaryError ? kafkaErrorCode(err.code) : kafkaErrorCode(1000);

interface JoinProtocol {
  name: string;
  metadata: Buffer;
}

export class KafkaGroupMembership {
  readonly #sessions = new Map<string, MemberSession>();

  constructor(
    private readonly clients: ClusterClients,
    /** Whether this broker is the group's Kafka coordinator (group-placement.ts). */
    private readonly coordinates: (groupId: string) => boolean,
  ) {}

  #key = (groupId: string, memberId: string) => `${groupId}\u0000${memberId}`;

  /** Ends every session (broker shutdown): members leave so their partitions move at once. */
  close(): void {
    for (const s of [...this.#sessions.values()]) s.leave('broker shutting down');
    this.#sessions.clear();
  }

  readonly joinGroup: KafkaHandler = async (body, ctx) => {
    const groupId = body['groupId'] as string;
    const memberId = body['memberId'] as string;
    const sessionTimeoutMs = body['sessionTimeoutMs'] as number;
    const rebalanceTimeoutMs = Math.max(sessionTimeoutMs, body['rebalanceTimeoutMs'] as number);
    const fail = (errorCode: number, id = memberId): Message => ({
      throttleTimeMs: 0,
      errorCode,
      generationId: -1,
      protocolType: 'consumer',
      protocolName: null,
      leader: '',
      memberId: id,
      members: [],
    });
    if (!this.coordinates(groupId)) return fail(NOT_COORDINATOR);
    const protocols = (body['protocols'] as JoinProtocol[]).filter((p) => ASSIGNORS[p.name] !== undefined);
    if (protocols.length === 0) return fail(INCONSISTENT_GROUP_PROTOCOL);
    let session: MemberSession | undefined;
    if (memberId !== '') {
      session = this.#sessions.get(this.#key(groupId, memberId));
      if (session === undefined || session.ended) return fail(UNKNOWN_MEMBER_ID);
    } else {
      let topics: string[];
      try {
        topics = decodeSubscriptionTopics(protocols[0]!.metadata);
      } catch {
        return fail(INCONSISTENT_GROUP_PROTOCOL);
      }
      const join: GroupSessionJoin = {
        groupId,
        memberId: '',
        groupInstanceId: (body['groupInstanceId'] as string | null) ?? '',
        clientId: ctx.header.clientId ?? '',
        topics,
        assignors: protocols.map((p) => ASSIGNORS[p.name]!),
        sessionTimeoutMs,
        rebalanceTimeoutMs,
        maxPollIntervalMs: rebalanceTimeoutMs,
      };
      try {
        session = await this.#open(join, protocols);
      } catch (err) {
        this.clients.forgetGroup(groupId);
        return fail(errorOf(err));
      }
    }
    try {
      const assignment = await session.rejoin(rebalanceTimeoutMs);
      return {
        throttleTimeMs: 0,
        errorCode: NONE,
        generationId: assignment.generation,
        protocolType: 'consumer',
        protocolName: session.protocolName,
        leader: '',
        memberId: session.memberId,
        members: [],
      };
    } catch (err) {
      return fail(errorOf(err), session.memberId);
    }
  };

  async #open(join: GroupSessionJoin, protocols: JoinProtocol[]): Promise<MemberSession> {
    const coordinator = await this.clients.groupCoordinator(join.groupId!);
    const stream = coordinator.GroupSession();
    // The Kafka name answered is the client's first protocol that maps to the assignor the
    // coordinator picks; the coordinator picks the first of ours every member supports.
    const session = new MemberSession(stream, join, protocols[0]!.name, (s) => {
      if (this.#sessions.get(this.#key(join.groupId!, s.memberId)) === s)
        this.#sessions.delete(this.#key(join.groupId!, s.memberId));
    });
    await session.joined(join.rebalanceTimeoutMs ?? 30_000);
    if (session.ended) throw session.ended;
    if (session.memberId === '') {
      session.leave('join timed out');
      throw new TributaryError('COORDINATOR_NOT_AVAILABLE', 'the coordinator did not answer the join');
    }
    this.#sessions.set(this.#key(join.groupId!, session.memberId), session);
    return session;
  }

  #session(body: Message): MemberSession | undefined {
    const s = this.#sessions.get(this.#key(body['groupId'] as string, body['memberId'] as string));
    return s === undefined || s.ended ? undefined : s;
  }

  readonly syncGroup: KafkaHandler = (body) => {
    const s = this.#session(body);
    const answer = (errorCode: number, assignment: Buffer = Buffer.alloc(0)): Message => ({
      throttleTimeMs: 0,
      errorCode,
      protocolType: 'consumer',
      protocolName: s?.protocolName ?? null,
      assignment,
    });
    if (s === undefined) return answer(UNKNOWN_MEMBER_ID);
    s.touch();
    if ((body['generationId'] as number) !== s.handed.generation) return answer(ILLEGAL_GENERATION);
    return answer(NONE, encodeAssignment(s.handed.partitions));
  };

  readonly heartbeat: KafkaHandler = (body) => {
    const s = this.#session(body);
    const answer = (errorCode: number): Message => ({ throttleTimeMs: 0, errorCode });
    if (s === undefined)
      return answer(this.coordinates(body['groupId'] as string) ? UNKNOWN_MEMBER_ID : NOT_COORDINATOR);
    s.touch();
    if (s.rebalancing) return answer(REBALANCE_IN_PROGRESS);
    if ((body['generationId'] as number) !== s.handed.generation) return answer(ILLEGAL_GENERATION);
    return answer(NONE);
  };

  readonly leaveGroup: KafkaHandler = (body, ctx) => {
    const groupId = body['groupId'] as string;
    const leaving =
      ctx.version >= 3
        ? (body['members'] as { memberId: string; groupInstanceId: string | null }[])
        : [{ memberId: body['memberId'] as string, groupInstanceId: null }];
    const members = leaving.map((m) => {
      const s = this.#session({ groupId, memberId: m.memberId });
      s?.leave('the Kafka client left the group');
      return { ...m, errorCode: s === undefined ? UNKNOWN_MEMBER_ID : NONE };
    });
    const errorCode = ctx.version < 3 ? (members[0]?.errorCode ?? NONE) : NONE;
    return { throttleTimeMs: 0, errorCode, members };
  };
}
