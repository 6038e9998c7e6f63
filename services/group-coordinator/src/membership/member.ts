import type { TributaryError } from '@tributary/errors';
import type { GroupSessionResponse } from '@tributary/proto';
import type { GroupMemberRecord } from '@tributary/registry';
import type { TpKey } from '../topic-partition';

/** The coordinator's end of one member's GroupSession stream. */
export interface MemberSession {
  /** Sends one message on the stream (dropped once the stream has ended). */
  send(message: GroupSessionResponse): void;
  /** Ends the stream: with an in-band `error` message first when given, else with status OK. */
  end(error?: TributaryError): void;
}

/** What a `join` carries, checked and with defaults filled in. */
export interface JoinRequest {
  /** The id the member had ('' for a new member). */
  readonly memberId: string;
  /** group.instance.id; '' for a dynamic member. */
  readonly instanceId: string;
  readonly clientId: string;
  /** The member's address as the coordinator sees it. */
  readonly host: string;
  readonly topics: readonly string[];
  /** Supported assignors in preference order (already restricted to those the coordinator has). */
  readonly assignors: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly maxPollIntervalMs: number;
  /** Partitions the member says it owns (rejoining after a coordinator change). */
  readonly owned: readonly TpKey[];
}

/**
 * One member of a group, in the coordinator's memory only: heartbeats and poll progress touch
 * nothing else. `owned` is what the member may fetch and commit: its latest assignment, minus what
 * it has confirmed revoking. `pendingRevoke` are partitions it has been asked to release: owned
 * ones, or ones it claimed when rejoining that another member owns (never in `owned`).
 */
export class Member {
  session: MemberSession | undefined;
  topics: readonly string[];
  assignors: readonly string[];
  clientId: string;
  host: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  maxPollIntervalMs: number;
  /** The group's generation when the member (last) joined. */
  joinedGeneration: number;
  /** The generation of the member's latest assignment; `joinedGeneration` before the first. */
  generation: number;
  /** Whether the member has received an assignment since it joined. */
  assigned = false;
  readonly owned = new Set<TpKey>();
  readonly pendingRevoke = new Set<TpKey>();
  /** When the member is removed unless it has confirmed every pending revoke. */
  revokeDeadline: number | undefined;
  lastHeartbeat: number;
  lastPoll: number;

  constructor(
    public memberId: string,
    readonly instanceId: string,
    readonly joinedAt: number,
    request: JoinRequest,
    generation: number,
    session: MemberSession,
  ) {
    this.session = session;
    this.topics = [...request.topics];
    this.assignors = [...request.assignors];
    this.clientId = request.clientId;
    this.host = request.host;
    this.sessionTimeoutMs = request.sessionTimeoutMs;
    this.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    this.maxPollIntervalMs = request.maxPollIntervalMs;
    this.joinedGeneration = generation;
    this.generation = generation;
    this.lastHeartbeat = joinedAt;
    this.lastPoll = joinedAt;
  }

  get isStatic(): boolean {
    return this.instanceId !== '';
  }

  /** Takes the settings of a later join (same stream or a reconnect); true when the topics changed. */
  update(request: JoinRequest): boolean {
    const changed =
      request.topics.length !== this.topics.length || request.topics.some((t) => !this.topics.includes(t));
    this.topics = [...request.topics];
    this.assignors = [...request.assignors];
    this.clientId = request.clientId;
    this.host = request.host;
    this.sessionTimeoutMs = request.sessionTimeoutMs;
    this.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    this.maxPollIntervalMs = request.maxPollIntervalMs;
    return changed;
  }

  /** The earliest time something about this member expires, and why. */
  nextDeadline(): { at: number; reason: string } {
    let next = { at: this.lastHeartbeat + this.sessionTimeoutMs, reason: 'session timeout (no heartbeat)' };
    if (this.session) {
      const poll = this.lastPoll + this.maxPollIntervalMs;
      if (poll < next.at) next = { at: poll, reason: 'max poll interval exceeded (no poll progress)' };
    }
    if (this.revokeDeadline !== undefined && this.revokeDeadline < next.at) {
      next = { at: this.revokeDeadline, reason: 'rebalance timeout (revoke not confirmed)' };
    }
    return next;
  }

  toRecord(): GroupMemberRecord {
    return {
      version: 1,
      memberId: this.memberId,
      instanceId: this.instanceId,
      clientId: this.clientId,
      host: this.host,
      topics: [...this.topics].sort(),
      joinedAt: this.joinedAt,
    };
  }
}
