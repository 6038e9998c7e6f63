/**
 * One partition replica on this broker (Kafka's `Partition`): its log, its role, and as leader
 * the replication state that decides the high watermark and the ISR.
 *
 * Leader rules (ARCHITECTURE §5, Kafka's replication design):
 * - A follower's log end offset (LEO) is the `fetch_offset` of its latest ReplicaFetch round: by
 *   asking for offset N it proves it holds everything below N.
 * - The high watermark (HW) is the minimum LEO over the ISR, the leader's own included, and
 *   never moves back while this broker leads. With an ISR of one it follows every append.
 * - A follower is caught up at time t when its fetch at t asked for the leader's LEO, or asked
 *   for at least the LEO the leader had at its previous fetch (then it was caught up at that
 *   previous fetch). One not caught up for `replica.lag.time.max.ms` leaves the ISR; one out of
 *   the ISR whose LEO reaches the HW (and the start of the current epoch) joins it. ISR changes
 *   are written to etcd by the replica manager (guarded txn) and take effect here only once
 *   written, so the ISR used for the HW is never one etcd has not accepted.
 * - acks=all waiters wait for the HW to pass their last offset; they fail with
 *   NOT_LEADER_OR_FOLLOWER if leadership goes, or REQUEST_TIMED_OUT.
 *
 * Everything here is synchronous on Node's one thread; nothing needs a lock.
 */
import { NotLeaderError, TributaryError } from '@tributary/errors';
import type { PartitionLog, ProducerStateManager } from '../storage';

export type Role = 'leader' | 'follower' | 'offline';

/** What the leader knows about one follower. */
export interface FollowerState {
  /** The follower's log end offset, -1 until its first fetch in this leadership. */
  leo: number;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's LEO at the follower's previous fetch. */
  lastFetchLeaderLeo: number;
  /** The follower's fetch session, once it fetched through one. */
  session?: FollowerLiveness;
}

/**
 * A follower's fetch session as the leader's partitions see it: when its latest round was. A
 * session round that does not name a partition leaves its position unchanged, so a follower at
 * the leader's log end offset is caught up as of that round (replication/fetch-session.ts).
 */
export interface FollowerLiveness {
  lastRoundMs: number;
}

/** The partition state this replica acts on (etcd's PartitionState plus the topic's view). */
export interface ReplicaAssignment {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
  readonly partitionEpoch: number;
  readonly minInsyncReplicas: number;
  /**
   * While the partition is being reassigned: the replicas it adds and the leader's replication
   * throttle for them in bytes/s (0 = none). docs/reassignment.md.
   */
  readonly reassignment?: { readonly adding: readonly number[]; readonly throttleBytesPerSec: number };
}

/** The result of a leader append. */
export interface LeaderAppendResult {
  readonly baseOffset: number;
  /** Offset after the last record: acks=all waits until the HW reaches it. */
  readonly endOffset: number;
  readonly logAppendTime: number;
  readonly duplicate: boolean;
}

interface AcksWaiter {
  readonly endOffset: number;
  readonly resolve: (err: TributaryError | undefined) => void;
}

/**
 * The timeout of an acks=all request, shared by every partition it waits on: one timer per
 * request rather than one per partition (a request carries a batch for each of hundreds of
 * partitions when keys spread records over thousands; produce.ts).
 */
export interface AcksDeadline {
  readonly timeoutMs: number;
  /** Runs `expire` when the request times out (never, once the request has finished). */
  onExpire(expire: () => void): void;
}

export class Partition {
  readonly key: string;
  role: Role = 'offline';
  leaderId = -1;
  leaderEpoch = -1;
  isr: readonly number[] = [];
  replicas: readonly number[] = [];
  partitionEpoch = -1;
  minInsyncReplicas = 1;
  /** Replicas being added by a reassignment, and their replication throttle (bytes/s, 0 = none). */
  reassignment: { readonly adding: readonly number[]; readonly throttleBytesPerSec: number } | undefined;
  /** LEO at which the current leader epoch started here (leader only). */
  epochStartOffset = 0;
  readonly followers = new Map<number, FollowerState>();
  /** Set while an ISR change of this partition is being written to etcd. */
  isrChangeInFlight = false;
  /**
   * Leader: a follower being added to the ISR (the etcd write is in flight). It counts for the
   * high watermark from the moment the leader decides to add it (Kafka's "maximal ISR",
   * KIP-497): otherwise the HW could pass records it lacks before etcd names it in-sync, and as
   * an in-sync replica it could be elected and truncate those committed records away.
   */
  joiningIsr: number | undefined;
  #acksWaiters: AcksWaiter[] = [];
  readonly #roleListeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: PartitionLog,
    readonly brokerId: number,
    private readonly now: () => number,
  ) {
    this.key = `${topic}/${partition}`;
    log.onHighWatermark((hw) => this.#completeAcksWaiters(hw));
  }

  /** The log's idempotent-producer state (kept current by the log on every append). */
  get producers(): ProducerStateManager {
    return this.log.producerState;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Calls `listener` whenever role, leader or epoch change (long polls re-check leadership). */
  onRoleChange(listener: () => void): () => void {
    this.#roleListeners.add(listener);
    return () => this.#roleListeners.delete(listener);
  }

  /** Takes leadership at `a.leaderEpoch` (or updates ISR/replicas when already leading at it). */
  makeLeader(a: ReplicaAssignment): void {
    const same = this.role === 'leader' && this.leaderEpoch === a.leaderEpoch;
    this.#adopt(a);
    if (!same) {
      this.role = 'leader';
      const leo = this.log.logEndOffset;
      const latest = this.log.latestEpoch;
      if (latest === undefined || a.leaderEpoch > latest) this.log.assignEpoch(a.leaderEpoch, leo);
      this.epochStartOffset = leo;
      this.followers.clear();
      const now = this.now();
      for (const r of a.replicas) {
        if (r === this.brokerId) continue;
        this.followers.set(r, {
          leo: -1,
          lastCaughtUpMs: a.isr.includes(r) ? now : 0,
          lastFetchMs: 0,
          lastFetchLeaderLeo: -1,
        });
      }
      this.#notifyRole();
    }
    this.maybeAdvanceHighWatermark();
  }

  /** Becomes a follower of `a.leader` (or offline when it is -1); fails pending acks=all waiters. */
  makeFollower(a: ReplicaAssignment): void {
    const changed =
      this.role !== 'follower' || this.leaderEpoch !== a.leaderEpoch || this.leaderId !== a.leader;
    this.#adopt(a);
    if (!changed) return;
    this.role = a.leader >= 0 ? 'follower' : 'offline';
    this.followers.clear();
    this.#failAcksWaiters(this.#notLeader());
    this.#notifyRole();
  }

  /** Stops acting for this partition (no longer a replica, or the broker stops). */
  makeOffline(): void {
    this.role = 'offline';
    this.leaderId = -1;
    this.followers.clear();
    this.#failAcksWaiters(this.#notLeader());
    this.#notifyRole();
  }

  /**
   * Leader path of a produce: sequence checks, then PartitionLog.append (which validates size,
   * CRC and magic, writes nothing if any batch fails, and updates the producer state). Throws a
   * TributaryError for the partition's result.
   */
  appendAsLeader(batches: Buffer, requireIsr: boolean): LeaderAppendResult {
    if (!this.isLeader) throw this.#notLeader();
    if (requireIsr && this.isr.length < this.minInsyncReplicas) {
      throw new TributaryError(
        'NOT_ENOUGH_REPLICAS',
        `ISR of ${this.key} is [${this.isr.join(',')}], below min.insync.replicas ${this.minInsyncReplicas}`,
      );
    }
    // One header parse for the whole append: validation (whole, size, CRC, counts) hands its
    // headers to the sequence checks and then to the log, which does not validate again.
    const validated = this.log.validate(batches, 'leader');
    const headers = validated.headers;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      if (h.producerId < 0) continue;
      const check = this.producers.check(h);
      if (check.duplicateOf !== undefined) {
        if (i === 0) {
          return {
            baseOffset: check.duplicateOf,
            endOffset: check.duplicateOf + h.lastOffsetDelta + 1,
            logAppendTime: -1,
            duplicate: true,
          };
        }
        throw new TributaryError('DUPLICATE_SEQUENCE', `batch ${i} of the request is a duplicate`);
      }
    }
    if (this.log.highWatermark >= this.log.logEndOffset) this.#startLagClocks();
    const info = this.log.append(batches, this.leaderEpoch, validated);
    this.maybeAdvanceHighWatermark();
    return {
      baseOffset: info.baseOffset,
      endOffset: info.lastOffset + 1,
      logAppendTime: info.logAppendTime,
      duplicate: false,
    };
  }

  /** Follower path: appends the leader's stamped batches (the log keeps the producer state current). */
  appendAsFollower(batches: Buffer): void {
    this.log.appendAsFollower(batches);
  }

  /** Truncates the log (KIP-101); the log reloads its producer state. */
  truncateTo(offset: number): number {
    return this.log.truncateTo(offset);
  }

  /**
   * Calls `done` once the HW reaches `endOffset` (acks=all): with undefined on success, or with
   * the error to answer (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS_AFTER_APPEND,
   * REQUEST_TIMED_OUT at the deadline: a number of ms, or the request's shared deadline). At
   * once when the HW is already there. A callback, not a promise: a request waits on one such per
   * partition, and a promise and its `then` per partition were a share of a broker's CPU when
   * keys spread records over thousands of partitions (docs/scale.md).
   */
  awaitHighWatermark(
    endOffset: number,
    deadline: number | AcksDeadline,
    done: (err: TributaryError | undefined) => void,
  ): void {
    if (this.log.highWatermark >= endOffset) {
      done(this.#afterAppendCheck());
      return;
    }
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const waiter: AcksWaiter = {
      endOffset,
      resolve: (err) => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        done(err);
      },
    };
    const expire = () => {
      if (settled) return;
      settled = true;
      const i = this.#acksWaiters.indexOf(waiter);
      if (i >= 0) this.#acksWaiters.splice(i, 1);
      const ms = typeof deadline === 'number' ? deadline : deadline.timeoutMs;
      done(
        new TributaryError(
          'REQUEST_TIMED_OUT',
          `${this.key}: not replicated to the ISR within ${ms} ms (the records may still be committed)`,
        ),
      );
    };
    if (typeof deadline === 'number') timer = setTimeout(expire, deadline);
    else deadline.onExpire(expire);
    this.#acksWaiters.push(waiter);
  }

  /**
   * Leader: records a follower's fetch at `fetchOffset`. Returns true if the follower should
   * now join the ISR (the caller writes that to etcd).
   */
  recordFollowerFetch(replicaId: number, fetchOffset: number, session?: FollowerLiveness): boolean {
    const state = this.followers.get(replicaId);
    if (state === undefined) return false;
    if (session !== undefined) state.session = session;
    const now = this.now();
    const leaderLeo = this.log.logEndOffset;
    if (fetchOffset >= leaderLeo) state.lastCaughtUpMs = now;
    else if (fetchOffset >= state.lastFetchLeaderLeo && state.lastFetchLeaderLeo >= 0)
      state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, state.lastFetchMs);
    state.lastFetchLeaderLeo = leaderLeo;
    state.lastFetchMs = now;
    state.leo = fetchOffset;
    this.maybeAdvanceHighWatermark();
    return (
      !this.isr.includes(replicaId) &&
      fetchOffset >= this.log.highWatermark &&
      fetchOffset >= this.epochStartOffset
    );
  }

  /** Leader: the ISR members that have not caught up for longer than `lagMaxMs`. */
  laggingReplicas(lagMaxMs: number): number[] {
    if (!this.isLeader) return [];
    const now = this.now();
    return this.isr.filter((r) => {
      if (r === this.brokerId) return false;
      const s = this.followers.get(r);
      if (s === undefined) return true;
      // Not fetched yet in this leadership, and nothing to wait for (see #startLagClocks).
      if (s.leo < 0 && this.log.highWatermark >= this.log.logEndOffset) return false;
      // Still at the log end and still fetching: caught up as of its session's latest round.
      const caughtUp =
        s.session !== undefined && s.leo >= this.log.logEndOffset
          ? Math.max(s.lastCaughtUpMs, s.session.lastRoundMs)
          : s.lastCaughtUpMs;
      return now - caughtUp > lagMaxMs;
    });
  }

  /** Leader: a written ISR change takes effect. */
  applyIsr(isr: readonly number[], partitionEpoch: number): void {
    this.isr = [...isr];
    this.partitionEpoch = partitionEpoch;
    this.maybeAdvanceHighWatermark();
    if (this.log.highWatermark >= 0) this.#completeAcksWaiters(this.log.highWatermark);
  }

  /** Leader: HW = min LEO over the ISR. */
  maybeAdvanceHighWatermark(): void {
    if (!this.isLeader) return;
    let hw = this.log.logEndOffset;
    const members = this.joiningIsr === undefined ? this.isr : [...this.isr, this.joiningIsr];
    for (const r of members) {
      if (r === this.brokerId) continue;
      const s = this.followers.get(r);
      if (s === undefined) continue; // not a replica any more: ignored until the ISR is fixed
      hw = Math.min(hw, s.leo);
    }
    if (hw > this.log.highWatermark) this.log.highWatermark = hw;
  }

  /** The leader hint for NOT_LEADER_OR_FOLLOWER answers. */
  get leaderHint(): { leaderId: number; leaderEpoch: number } {
    return { leaderId: this.leaderId, leaderEpoch: this.leaderEpoch };
  }

  /** Checks a client's current_leader_epoch (undefined or -1: no check). */
  checkLeaderEpoch(epoch: number | undefined): void {
    if (epoch === undefined || epoch < 0) return;
    if (epoch < this.leaderEpoch)
      throw new TributaryError(
        'FENCED_LEADER_EPOCH',
        `${this.key} is at leader epoch ${this.leaderEpoch}, not ${epoch}`,
      );
    if (epoch > this.leaderEpoch)
      throw new TributaryError(
        'UNKNOWN_LEADER_EPOCH',
        `${this.key} is at leader epoch ${this.leaderEpoch}, not ${epoch} yet`,
      );
  }

  /**
   * The replication throttle (bytes/s) the leader applies when serving `replicaId`, 0 for none:
   * only a replica a reassignment is adding, and only while it is out of the ISR (as Kafka's
   * leader throttle), so a replica that caught up never holds the high watermark back.
   */
  throttleFor(replicaId: number): number {
    const r = this.reassignment;
    if (r === undefined || r.throttleBytesPerSec <= 0) return 0;
    return r.adding.includes(replicaId) && !this.isr.includes(replicaId) ? r.throttleBytesPerSec : 0;
  }

  #adopt(a: ReplicaAssignment): void {
    this.leaderId = a.leader;
    this.leaderEpoch = a.leaderEpoch;
    this.isr = [...a.isr];
    this.replicas = [...a.replicas];
    this.partitionEpoch = a.partitionEpoch;
    this.minInsyncReplicas = a.minInsyncReplicas;
    this.reassignment = a.reassignment;
    if (this.role === 'leader') {
      for (const r of a.replicas) {
        if (r !== this.brokerId && !this.followers.has(r))
          this.followers.set(r, { leo: -1, lastCaughtUpMs: 0, lastFetchMs: 0, lastFetchLeaderLeo: -1 });
      }
    }
  }

  /**
   * Before an append to a fully committed log: an in-sync follower that has not fetched yet in
   * this leadership is caught up until now. It holds everything below the high watermark (it is
   * in the ISR, and the high watermark cannot pass a member whose position is unknown), and the
   * high watermark is the log end. So its lag counts from this first append, not from when this
   * broker became leader: a follower still opening thousands of new replicas (docs/scale.md)
   * leaves the ISR of an idle new partition only once there is something it fails to fetch in
   * time, and a dead follower leaves it `replica.lag.time.max.ms` after the first write, as in
   * Kafka. (Kafka starts that clock at the leader change and shrinks idle partitions too.)
   */
  #startLagClocks(): void {
    const now = this.now();
    for (const r of this.isr) {
      const s = this.followers.get(r);
      if (s !== undefined && s.leo < 0) s.lastCaughtUpMs = now;
    }
  }

  #notLeader(): NotLeaderError {
    return new NotLeaderError(`broker ${this.brokerId} does not lead ${this.key}`, {
      leaderId: this.leaderId,
    });
  }

  #afterAppendCheck(): TributaryError | undefined {
    if (this.isr.length < this.minInsyncReplicas) {
      return new TributaryError(
        'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
        `${this.key}: appended, but the ISR [${this.isr.join(',')}] fell below min.insync.replicas ${this.minInsyncReplicas}`,
      );
    }
    return undefined;
  }

  #completeAcksWaiters(hw: number): void {
    // Nothing allocated until a waiter is done (the HW moves far more often than that). Not
    // only a prefix: a duplicate's waiter has its original, earlier end offset.
    const waiters = this.#acksWaiters;
    let i = 0;
    while (i < waiters.length && waiters[i]!.endOffset > hw) i++;
    if (i === waiters.length) return;
    const done: AcksWaiter[] = [];
    const rest = waiters.slice(0, i);
    for (; i < waiters.length; i++) (waiters[i]!.endOffset <= hw ? done : rest).push(waiters[i]!);
    this.#acksWaiters = rest;
    const result = this.#afterAppendCheck();
    for (const w of done) w.resolve(result);
  }

  #failAcksWaiters(err: TributaryError): void {
    const waiters = this.#acksWaiters;
    this.#acksWaiters = [];
    for (const w of waiters) w.resolve(err);
  }

  #notifyRole(): void {
    for (const l of this.#roleListeners) l();
  }
}
