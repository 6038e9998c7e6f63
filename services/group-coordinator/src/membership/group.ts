import { type ErrorName, TributaryError } from '@tributary/errors';
import type { GroupMemberRecord, GroupStateName } from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { ASSIGNORS } from '../assignors';
import type { Clock, TimerHandle } from '../clock';
import { parseTp, type TpKey, toTopicPartitions } from '../topic-partition';
import { type CommitCheck, checkCommit } from './commit-fence';
import { type JoinRequest, Member, type MemberSession } from './member';
import { ownersOf, RegistryMirror } from './registry-mirror';
import { checkProtocol, chooseAssignor, computeTarget } from './target';

/** What a new generation (or a static member's return) changes in the registries. */
export interface GenerationUpdate {
  readonly generation: number;
  readonly assignor: string;
  readonly state: GroupStateName;
  readonly memberCount: number;
  /** Ownership changes: the new owner's member id, or undefined when nobody owns it any more. */
  readonly owners: ReadonlyMap<TpKey, string | undefined>;
  readonly putMembers: readonly GroupMemberRecord[];
  readonly deleteMembers: readonly string[];
}

/** What a group needs from the coordinator around it. */
export interface GroupDeps {
  readonly groupId: string;
  readonly clock: Clock;
  /** How long a group without members waits for more joins before its first assignment. */
  readonly initialRebalanceDelayMs: number;
  /**
   * When this coordinator claimed the group, and whether an earlier generation may exist at a
   * previous coordinator (the group has committed offsets at a generation above 0). A member that
   * rejoins with a member id or claims this coordinator never gave out also proves one.
   */
  readonly takeover: {
    readonly claimedAt: number;
    readonly previousGeneration: boolean;
    /**
     * Every member of the previous generation, when its coordinator handed the group over on a
     * graceful shutdown; the wait ends as soon as all of them have rejoined here.
     */
    readonly handedOver?: ReadonlySet<string>;
  };
  /** Partition count of a topic; undefined when it does not exist (or is being deleted). */
  readonly partitionCount: (topic: string) => number | undefined;
  /** Writes ownership and consumer registry changes, fenced; rejects once the group is not ours. */
  readonly writeGeneration: (update: GenerationUpdate) => Promise<void>;
  /** Resolves once every commit accepted so far is durable. */
  readonly drainCommits: () => Promise<void>;
  /** A registry write failed: the coordinator must give the group up. */
  readonly onWriteFailed: (err: Error) => void;
  readonly newMemberId: (clientId: string) => string;
  readonly logger: Logger;
}

/**
 * One consumer group's membership and rebalance protocol (group_coordinator.proto, docs/groups.md).
 *
 * Invariant (takeover): no partition is assigned while a member of a previous coordinator's
 * generation may still own it. Owner and member keys live on the previous coordinator's lease, so
 * they are gone when this coordinator claims the group; instead, time fences them: a member that
 * hears no heartbeat ack for its session timeout treats its partitions as lost (the client's
 * GroupSession), and the last ack of the previous coordinator came before this claim. So when a
 * previous generation may exist, the first assignment waits until `claimedAt` + the longest
 * session timeout of the members; members that rejoin in that window keep their uncontested
 * claims (they are owned here from the join on). After a graceful handover the previous
 * coordinator names its members, and the wait ends once every one of them has rejoined.
 *
 * Invariant: a partition is in the `owned` set of at most one member, except while a member
 * holds a claim it was told to revoke (then it is in that member's `pendingRevoke` too); a
 * partition is assigned to a member only once no other member owns it. A rebalance is therefore
 * two phases: (1) compute the target with the assignor and send `revoke` for what must move
 * (cooperative) or for everything (eager), then wait until every revoke is confirmed or its
 * member removed; (2) drain pending commits, bump the generation, write the ownership and
 * consumer registries to etcd (fenced), and only then send every member its `assignment`.
 * Anything that changes membership while a rebalance runs restarts phase 1.
 *
 * Heartbeats and poll progress only touch memory. One timer per group fires at the earliest
 * deadline (session, processing or rebalance timeout, initial rebalance delay); time comes from
 * the injected clock. All methods run on the event loop, one at a time; the only awaits are in
 * `reconcile` and `persist`, whose writes are serialized.
 */
export class Group {
  generation: number;
  assignorName = '';
  state: GroupStateName = 'EMPTY';
  /** Completed rebalances (generations sent to members), for logs and tests. */
  rebalances = 0;
  private readonly members = new Map<string, Member>();
  private readonly byInstance = new Map<string, Member>();
  private rebalanceWanted = false;
  private reconciling = false;
  private everAssigned = false;
  private delayedUntil: number | undefined;
  private initialDelayUntil: number | undefined;
  private previousGeneration: boolean;
  /** Handed-over members that have not rejoined yet (see the takeover invariant). */
  private readonly awaited: Set<string> | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private writes: Promise<void> = Promise.resolve();
  private readonly registry = new RegistryMirror();

  constructor(
    private readonly deps: GroupDeps,
    initialGeneration: number,
  ) {
    this.generation = initialGeneration;
    this.previousGeneration = deps.takeover.previousGeneration;
    this.awaited = deps.takeover.handedOver && new Set(deps.takeover.handedOver);
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** Members in join order. */
  memberList(): readonly Member[] {
    return [...this.members.values()];
  }

  member(memberId: string): Member | undefined {
    return this.members.get(memberId);
  }

  /**
   * A `join` on `session`. `boundMemberId` is the member the stream already belongs to (a join
   * sent again: a subscription change). Returns the member id; throws a TributaryError the
   * handler ends the stream with.
   */
  join(request: JoinRequest, session: MemberSession, boundMemberId?: string): string {
    if (this.closed) throw new TributaryError('NOT_COORDINATOR', `Group ${this.deps.groupId} moved`);
    const bound = boundMemberId === undefined ? undefined : this.members.get(boundMemberId);
    if (bound && bound.session === session) {
      checkProtocol(this.deps.groupId, request.assignors, this.others(bound));
      const changed = bound.update(request);
      this.sendJoined(bound);
      if (changed) this.requestRebalance(`member ${bound.memberId} changed its subscription`);
      this.arm();
      return bound.memberId;
    }
    const existing = request.instanceId
      ? this.byInstance.get(request.instanceId)
      : request.memberId
        ? this.members.get(request.memberId)
        : undefined;
    checkProtocol(this.deps.groupId, request.assignors, this.others(existing));
    if (existing) return this.reattach(existing, request, session);

    const now = this.deps.clock.now();
    const member = new Member(
      this.deps.newMemberId(request.clientId),
      request.instanceId,
      now,
      request,
      this.generation,
      session,
    );
    // A member id or claims this coordinator never gave out: the member comes from a previous one.
    if (request.memberId || request.owned.length > 0) this.previousGeneration = true;
    this.awaited?.delete(request.memberId);
    const claimed = ownersOf(this.members.values());
    const rejected: TpKey[] = [];
    // Claims of a member rejoining after a coordinator change: kept when valid and uncontested,
    // else revoked (a contested one never counts as owned, so the member cannot commit it).
    for (const tp of request.owned) {
      const { topic, partition } = parseTp(tp);
      const valid = partition < (this.deps.partitionCount(topic) ?? 0) && member.topics.includes(topic);
      if (!claimed.has(tp)) member.owned.add(tp);
      if (!valid || claimed.has(tp)) rejected.push(tp);
    }
    this.members.set(member.memberId, member);
    if (member.isStatic) this.byInstance.set(member.instanceId, member);
    this.deps.logger.info(
      { member: member.memberId, instance: member.instanceId || undefined, client: member.clientId },
      'member joined',
    );
    this.sendJoined(member);
    if (rejected.length > 0) this.revoke(member, rejected);
    this.requestRebalance(`member ${member.memberId} joined`);
    this.arm();
    return member.memberId;
  }

  heartbeat(memberId: string, generation: number): void {
    const member = this.members.get(memberId);
    if (!member) return;
    // Before its first assignment here a member may still echo a previous coordinator's generation.
    if (member.assigned && generation > member.generation) {
      this.remove(
        member,
        `heartbeat at generation ${generation}, never given to this member (latest ${member.generation})`,
        'ILLEGAL_GENERATION',
      );
      return;
    }
    member.lastHeartbeat = this.deps.clock.now();
    member.session?.send({ heartbeatAck: {} });
  }

  pollProgress(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) member.lastPoll = this.deps.clock.now();
  }

  revokeDone(memberId: string, generation: number, partitions: readonly TpKey[]): void {
    const member = this.members.get(memberId);
    if (!member || generation !== member.generation) return;
    for (const tp of partitions.length > 0 ? partitions : [...member.pendingRevoke]) {
      if (member.pendingRevoke.delete(tp)) member.owned.delete(tp);
    }
    if (member.pendingRevoke.size === 0) member.revokeDeadline = undefined;
    void this.reconcile();
  }

  /** `leave`: removed at once, static members included; the stream ends with status OK. */
  leave(memberId: string, reason: string): void {
    const member = this.members.get(memberId);
    if (member) this.remove(member, `left: ${reason || 'no reason given'}`);
  }

  /** The member's stream broke: a dynamic member is removed, a static one waits for its session timeout. */
  sessionClosed(memberId: string, session: MemberSession): void {
    const member = this.members.get(memberId);
    if (!member || member.session !== session) return;
    if (!member.isStatic) {
      this.remove(member, 'stream closed');
      return;
    }
    member.session = undefined;
    this.deps.logger.info({ member: memberId, instance: member.instanceId }, 'static member disconnected');
    this.arm();
  }

  /** A subscribed topic was created, deleted or changed its partition count. */
  topicChanged(topic: string): void {
    if ([...this.members.values()].some((m) => m.topics.includes(topic))) {
      this.requestRebalance(`partitions of topic ${topic} changed`);
    }
  }

  /** Whether `topic` matters to this group (a member subscribes to it). */
  subscribes(topic: string): boolean {
    return [...this.members.values()].some((m) => m.topics.includes(topic));
  }

  /** Fences a commit: see `checkCommit`. */
  checkCommit(memberId: string, generation: number): CommitCheck {
    return checkCommit(
      { id: this.deps.groupId, generation: this.generation, members: this.members },
      memberId,
      generation,
    );
  }

  /** Ends every session with `error` and stops all timers; the group is no longer served here. */
  close(error: TributaryError): void {
    if (this.closed) return;
    this.closed = true;
    this.deps.clock.clear(this.timer);
    this.timer = undefined;
    for (const member of this.members.values()) {
      const session = member.session;
      member.session = undefined;
      session?.end(error);
    }
  }

  private reattach(member: Member, request: JoinRequest, session: MemberSession): string {
    const previous = member.session;
    member.session = session;
    if (previous && previous !== session) {
      previous.end(
        member.isStatic
          ? new TributaryError('FENCED_INSTANCE_ID', `A newer session of ${member.instanceId} joined`)
          : undefined,
      );
    }
    if (member.isStatic) {
      // A new id fences commits from the previous process of the same instance.
      this.members.delete(member.memberId);
      member.memberId = this.deps.newMemberId(request.clientId);
      this.members.set(member.memberId, member);
    }
    const changed = member.update(request);
    const now = this.deps.clock.now();
    member.lastHeartbeat = now;
    member.lastPoll = now;
    this.deps.logger.info(
      { member: member.memberId, instance: member.instanceId || undefined },
      'member rejoined with its assignment',
    );
    this.sendJoined(member);
    // Persist the new id (owner records name it), then hand the member what it already had.
    void this.persist()
      .then(() => {
        if (member.session !== session) return;
        if (member.assigned) {
          session.send({
            assignment: { generationId: member.generation, partitions: toTopicPartitions(member.owned) },
          });
        }
        if (member.pendingRevoke.size > 0) {
          session.send({
            revoke: { generationId: member.generation, partitions: toTopicPartitions(member.pendingRevoke) },
          });
        }
      })
      .catch((err: Error) => this.deps.onWriteFailed(err));
    if (changed) this.requestRebalance(`member ${member.memberId} changed its subscription`);
    this.arm();
    return member.memberId;
  }

  private others(except: Member | undefined): Member[] {
    return [...this.members.values()].filter((m) => m !== except);
  }

  private sendJoined(member: Member): void {
    member.session?.send({
      joined: {
        memberId: member.memberId,
        generationId: this.generation,
        assignor: chooseAssignor([...this.members.values()], this.assignorName),
        heartbeatIntervalMs: Math.max(100, Math.floor(member.sessionTimeoutMs / 3)),
      },
    });
  }

  private remove(member: Member, reason: string, error?: ErrorName): void {
    if (this.members.get(member.memberId) !== member) return;
    this.members.delete(member.memberId);
    if (member.isStatic && this.byInstance.get(member.instanceId) === member) {
      this.byInstance.delete(member.instanceId);
    }
    const session = member.session;
    member.session = undefined;
    session?.end(
      error === undefined
        ? undefined
        : new TributaryError(error, `Removed from group ${this.deps.groupId}: ${reason}`),
    );
    this.deps.logger.info({ member: member.memberId, reason, owned: member.owned.size }, 'member removed');
    this.requestRebalance(`member ${member.memberId} removed (${reason})`);
  }

  private requestRebalance(reason: string): void {
    if (this.closed) return;
    this.deps.logger.debug({ reason }, 'rebalance requested');
    this.rebalanceWanted = true;
    if (this.members.size > 0) this.state = 'REBALANCING';
    if (!this.everAssigned && this.members.size > 0) {
      const now = this.deps.clock.now();
      if (this.deps.initialRebalanceDelayMs > 0) {
        this.initialDelayUntil ??= now + this.deps.initialRebalanceDelayMs;
      }
      const until = Math.max(this.initialDelayUntil ?? 0, this.takeoverFenceUntil());
      if (until > now) {
        this.delayedUntil = until;
        this.arm();
        return;
      }
      this.delayedUntil = undefined;
    }
    void this.reconcile();
  }

  /**
   * Until when a member of a previous coordinator's generation may still consider its partitions
   * its own (see the takeover invariant); 0 when there was no previous generation.
   */
  private takeoverFenceUntil(): number {
    if (!this.previousGeneration || this.awaited?.size === 0) return 0;
    let sessionTimeoutMs = 0;
    for (const m of this.members.values()) sessionTimeoutMs = Math.max(sessionTimeoutMs, m.sessionTimeoutMs);
    return this.deps.takeover.claimedAt + sessionTimeoutMs;
  }

  private async reconcile(): Promise<void> {
    if (this.reconciling || this.closed) return;
    if (this.delayedUntil !== undefined) {
      if (this.deps.clock.now() < this.delayedUntil) return;
      this.delayedUntil = undefined;
    }
    this.reconciling = true;
    try {
      while (this.rebalanceWanted && !this.closed) {
        const members = [...this.members.values()];
        this.assignorName = chooseAssignor(members, this.assignorName);
        const assignor = ASSIGNORS.get(this.assignorName);
        const target = computeTarget(members, assignor, this.deps.partitionCount);
        this.state = 'REBALANCING';
        if (this.sendRevocations(target, assignor?.cooperative ?? false)) {
          this.arm();
          return;
        }
        this.rebalanceWanted = false;
        await this.deps.drainCommits();
        if (this.closed) return;
        if (this.rebalanceWanted) continue;
        const generation = this.generation + 1;
        for (const [member, partitions] of target) {
          member.owned.clear();
          for (const tp of partitions) member.owned.add(tp);
          member.generation = generation;
          member.assigned = true;
        }
        this.generation = generation;
        this.state = members.length > 0 ? 'STABLE' : 'EMPTY';
        await this.persist();
        if (this.closed) return;
        for (const [member, partitions] of target) {
          if (this.members.get(member.memberId) !== member || member.generation !== generation) continue;
          member.session?.send({
            assignment: { generationId: generation, partitions: toTopicPartitions(partitions) },
          });
        }
        this.everAssigned = members.length > 0;
        this.rebalances++;
        this.deps.logger.info(
          { generation, assignor: this.assignorName, members: members.length },
          'generation assigned',
        );
      }
      if (!this.rebalanceWanted && this.state === 'REBALANCING') {
        this.state = this.members.size > 0 ? 'STABLE' : 'EMPTY';
      }
    } catch (err) {
      this.deps.onWriteFailed(err as Error);
    } finally {
      this.reconciling = false;
    }
  }

  /** Phase 1: sends what each member must give up; true while any revoke is unconfirmed. */
  private sendRevocations(target: ReadonlyMap<Member, TpKey[]>, cooperative: boolean): boolean {
    let waiting = false;
    for (const [member, partitions] of target) {
      const keep = new Set(cooperative ? partitions : []);
      const fresh = [...member.owned].filter((tp) => !member.pendingRevoke.has(tp) && !keep.has(tp));
      if (fresh.length > 0) this.revoke(member, fresh);
      if (member.pendingRevoke.size > 0) waiting = true;
    }
    return waiting;
  }

  private revoke(member: Member, partitions: readonly TpKey[]): void {
    for (const tp of partitions) member.pendingRevoke.add(tp);
    member.revokeDeadline ??= this.deps.clock.now() + member.rebalanceTimeoutMs;
    member.session?.send({
      revoke: { generationId: member.generation, partitions: toTopicPartitions(partitions) },
    });
  }

  /** Writes what changed in ownership and membership since the last write (writes are serialized). */
  private persist(): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const changes = this.registry.changes(this.members.values());
      await this.deps.writeGeneration({
        generation: this.generation,
        assignor: this.assignorName,
        state: this.state,
        memberCount: this.members.size,
        owners: changes.owners,
        putMembers: changes.putMembers,
        deleteMembers: changes.deleteMembers,
      });
      changes.commit();
    };
    const next = this.writes.then(run);
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Arms the group's one timer for its earliest deadline. */
  private arm(): void {
    if (this.closed) return;
    let next = this.delayedUntil ?? Number.POSITIVE_INFINITY;
    for (const member of this.members.values()) next = Math.min(next, member.nextDeadline().at);
    if (next === Number.POSITIVE_INFINITY) return;
    if (this.timer && this.timer.dueAt <= next) return;
    this.deps.clock.clear(this.timer);
    this.timer = this.deps.clock.schedule(() => {
      this.timer = undefined;
      this.expire();
    }, next - this.deps.clock.now());
  }

  private expire(): void {
    if (this.closed) return;
    const now = this.deps.clock.now();
    for (const member of [...this.members.values()]) {
      const deadline = member.nextDeadline();
      if (deadline.at <= now) this.remove(member, deadline.reason, 'UNKNOWN_MEMBER_ID');
    }
    if (this.delayedUntil !== undefined && this.delayedUntil <= now) void this.reconcile();
    this.arm();
  }
}
