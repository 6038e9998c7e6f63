import { type ErrorName, TributaryError } from '@tributary/errors';
import type { GroupMemberRecord, GroupStateName } from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { ASSIGNORS, type Assignor } from '../assignors';
import type { Clock, TimerHandle } from '../clock';
import { type TpKey, toTopicPartitions } from '../topic-partition';
import { type JoinRequest, Member, type MemberSession } from './member';

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

/** The outcome of checking a commit's member and generation. */
export type CommitCheck =
  | { readonly ok: false; readonly error: ErrorName; readonly message: string }
  | { readonly ok: true; readonly owns: (tp: TpKey) => boolean };

/**
 * One consumer group's membership and rebalance protocol (group_coordinator.proto, docs/groups.md).
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
  private timer: TimerHandle | undefined;
  private closed = false;
  private writes: Promise<void> = Promise.resolve();
  private persistedOwners = new Map<TpKey, string>();
  private persistedMembers = new Map<string, string>();

  constructor(
    private readonly deps: GroupDeps,
    initialGeneration: number,
  ) {
    this.generation = initialGeneration;
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
      this.checkProtocol(request.assignors, bound);
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
    this.checkProtocol(request.assignors, existing);
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
    const claimed = this.ownedBySomeone();
    const rejected: TpKey[] = [];
    for (const tp of request.owned) {
      const topic = tp.slice(0, tp.lastIndexOf('/'));
      const partition = Number(tp.slice(tp.lastIndexOf('/') + 1));
      const valid = partition < (this.deps.partitionCount(topic) ?? 0) && member.topics.includes(topic);
      member.owned.add(tp);
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

  /**
   * Fences a commit (generation_id -1: a standalone consumer, only while the group is empty).
   * A known member at an older generation than its latest assignment gets REBALANCE_IN_PROGRESS
   * (the assignment is on its way); an unknown member at an older generation than the group's
   * (removed, e.g. a zombie) gets ILLEGAL_GENERATION.
   */
  checkCommit(memberId: string, generation: number): CommitCheck {
    const g = this.deps.groupId;
    if (generation === -1) {
      if (this.members.size > 0) {
        return { ok: false, error: 'NON_EMPTY_GROUP', message: `Group ${g} has active members` };
      }
      return { ok: true, owns: () => true };
    }
    const member = this.members.get(memberId);
    if (!member) {
      return generation < this.generation
        ? { ok: false, error: 'ILLEGAL_GENERATION', message: `Generation ${generation} of ${g} is over` }
        : { ok: false, error: 'UNKNOWN_MEMBER_ID', message: `${memberId} is not a member of ${g}` };
    }
    if (generation === member.generation) return { ok: true, owns: (tp) => member.owned.has(tp) };
    if (generation < member.generation && generation >= member.joinedGeneration) {
      return {
        ok: false,
        error: 'REBALANCE_IN_PROGRESS',
        message: `Generation ${member.generation} of ${g} is on its way; commit with it`,
      };
    }
    return {
      ok: false,
      error: 'ILLEGAL_GENERATION',
      message: `Generation ${generation} was never given to ${memberId} (latest ${member.generation})`,
    };
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

  private sendJoined(member: Member): void {
    member.session?.send({
      joined: {
        memberId: member.memberId,
        generationId: this.generation,
        assignor: this.chooseAssignor(),
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

  /** Throws INCONSISTENT_GROUP_PROTOCOL when `assignors` share none with the other members. */
  private checkProtocol(assignors: readonly string[], replacing: Member | undefined): void {
    const others = [...this.members.values()].filter((m) => m !== replacing);
    const common = assignors.filter((a) => others.every((m) => m.assignors.includes(a)));
    if (common.length === 0) {
      throw new TributaryError(
        'INCONSISTENT_GROUP_PROTOCOL',
        `None of the assignors [${assignors.join(', ')}] is supported by every member of ${this.deps.groupId}`,
      );
    }
  }

  /** The current assignor if every member still supports it, else the oldest member's first common choice. */
  private chooseAssignor(members: readonly Member[] = [...this.members.values()]): string {
    if (members.length === 0) return '';
    const common = (a: string) => members.every((m) => m.assignors.includes(a));
    if (this.assignorName && common(this.assignorName)) return this.assignorName;
    return members[0]!.assignors.find(common) ?? members[0]!.assignors[0] ?? '';
  }

  private requestRebalance(reason: string): void {
    if (this.closed) return;
    this.deps.logger.debug({ reason }, 'rebalance requested');
    this.rebalanceWanted = true;
    if (!this.everAssigned && this.members.size > 0 && this.deps.initialRebalanceDelayMs > 0) {
      this.delayedUntil ??= this.deps.clock.now() + this.deps.initialRebalanceDelayMs;
      this.arm();
      return;
    }
    void this.reconcile();
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
        this.assignorName = this.chooseAssignor(members);
        const assignor = ASSIGNORS.get(this.assignorName);
        const target = this.computeTarget(members, assignor);
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

  private computeTarget(members: readonly Member[], assignor: Assignor | undefined): Map<Member, TpKey[]> {
    const partitionCounts = new Map<string, number>();
    for (const topic of new Set(members.flatMap((m) => m.topics))) {
      const count = this.deps.partitionCount(topic);
      if (count !== undefined) partitionCounts.set(topic, count);
    }
    const result = assignor?.assign({
      partitionCounts,
      members: members.map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        topics: m.topics,
        owned: [...m.owned].filter((tp) => !m.pendingRevoke.has(tp)),
      })),
    });
    return new Map(members.map((m) => [m, result?.get(m.memberId) ?? []]));
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

  /** Partition → the member that owns it outright (not merely holding a claim it must revoke). */
  private ownedBySomeone(): Map<TpKey, string> {
    const owners = new Map<TpKey, string>();
    for (const m of this.members.values()) {
      for (const tp of m.owned) if (!m.pendingRevoke.has(tp)) owners.set(tp, m.memberId);
    }
    for (const m of this.members.values()) {
      for (const tp of m.pendingRevoke) if (!owners.has(tp)) owners.set(tp, m.memberId);
    }
    return owners;
  }

  /** Writes what changed in ownership and membership since the last write (serialized). */
  private persist(): Promise<void> {
    const run = async () => {
      if (this.closed) return;
      const owners = this.ownedBySomeone();
      const ownerChanges = new Map<TpKey, string | undefined>();
      for (const [tp, memberId] of owners) {
        if (this.persistedOwners.get(tp) !== memberId) ownerChanges.set(tp, memberId);
      }
      for (const tp of this.persistedOwners.keys()) if (!owners.has(tp)) ownerChanges.set(tp, undefined);
      const records = new Map([...this.members.values()].map((m) => [m.memberId, m.toRecord()]));
      const putMembers = [...records.values()].filter(
        (r) => this.persistedMembers.get(r.memberId) !== JSON.stringify(r),
      );
      const deleteMembers = [...this.persistedMembers.keys()].filter((id) => !records.has(id));
      await this.deps.writeGeneration({
        generation: this.generation,
        assignor: this.assignorName,
        state: this.state,
        memberCount: this.members.size,
        owners: ownerChanges,
        putMembers,
        deleteMembers,
      });
      this.persistedOwners = owners;
      this.persistedMembers = new Map([...records].map(([id, r]) => [id, JSON.stringify(r)]));
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
