/**
 * Leader election decisions, as pure functions of (assignment, current state, live brokers).
 * The controller applies what they return with guarded etcd writes; nothing here does I/O.
 *
 * Rules (Kafka's, KIP-841 aside):
 * - A live leader keeps leading; dead brokers leave the ISR (the leader epoch stays, the
 *   partition epoch moves).
 * - A dead (or no) leader is replaced by the first replica, in assignment order, that is live and
 *   in the ISR: leader epoch + 1, ISR = its live members.
 * - With no live ISR member the partition goes offline (leader -1, leader epoch + 1) and keeps its
 *   last ISR, so the first of those brokers to return can lead again without losing data; unless
 *   unclean election is allowed, when the first live replica leads with ISR = [itself].
 * - Preferred election moves leadership to the first replica when it is live and in the ISR.
 */
import type { PartitionState } from '@tributary/registry';

/** What a decision needs to know about one partition. */
export interface PartitionFacts {
  /** The assignment, preferred leader first. */
  readonly replicas: readonly number[];
  readonly state: PartitionState;
  /** Ids of the live brokers. */
  readonly live: ReadonlySet<number>;
  /** The topic's `unclean.leader.election.enable`. */
  readonly uncleanAllowed: boolean;
}

/** The initial state of a new partition: the first replica leads at epoch 0, every replica in sync. */
export function initialState(replicas: readonly number[], controllerEpoch: number): PartitionState {
  return {
    version: 1,
    leader: replicas[0] ?? -1,
    leaderEpoch: 0,
    isr: [...replicas],
    controllerEpoch,
    partitionEpoch: 0,
  };
}

function next(
  state: PartitionState,
  leader: number,
  isr: readonly number[],
  controllerEpoch: number,
): PartitionState {
  return {
    version: 1,
    leader,
    leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1,
    isr: [...isr],
    controllerEpoch,
    partitionEpoch: state.partitionEpoch + 1,
    // An election never ends a reassignment: only the controller's reassignment writes do.
    ...(state.reassignment ? { reassignment: state.reassignment } : {}),
  };
}

const sameMembers = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/**
 * The state the partition should have given the live brokers, or undefined if it already has it:
 * dead followers leave the ISR, a dead leader is replaced (clean, else unclean if allowed, else
 * offline). Called on broker loss and return, and for every partition when a controller starts.
 */
export function reconcileLeadership(
  facts: PartitionFacts,
  controllerEpoch: number,
): PartitionState | undefined {
  const { replicas, state, live } = facts;
  const liveIsr = state.isr.filter((b) => live.has(b));
  if (state.leader >= 0 && live.has(state.leader)) {
    return sameMembers(liveIsr, state.isr) ? undefined : next(state, state.leader, liveIsr, controllerEpoch);
  }
  const clean = replicas.find((b) => live.has(b) && state.isr.includes(b));
  if (clean !== undefined) return next(state, clean, liveIsr, controllerEpoch);
  if (facts.uncleanAllowed) {
    const unclean = replicas.find((b) => live.has(b));
    if (unclean !== undefined) return next(state, unclean, [unclean], controllerEpoch);
  }
  // Offline: keep the last ISR so one of its members can lead again when it returns.
  return state.leader === -1 ? undefined : next(state, -1, state.isr, controllerEpoch);
}

/** Outcome of an election asked for explicitly (ElectLeaders, automatic preferred election). */
export type ElectionOutcome =
  | { readonly kind: 'elected'; readonly state: PartitionState; readonly unclean: boolean }
  | { readonly kind: 'not-needed' }
  | { readonly kind: 'not-available'; readonly reason: string };

/** Moves leadership to the preferred replica (the first) if it is live and in the ISR. */
export function electPreferred(facts: PartitionFacts, controllerEpoch: number): ElectionOutcome {
  const { replicas, state, live } = facts;
  const preferred = replicas[0];
  if (preferred === undefined) return { kind: 'not-available', reason: 'the partition has no replicas' };
  if (state.leader === preferred) return { kind: 'not-needed' };
  if (!live.has(preferred)) {
    return { kind: 'not-available', reason: `preferred replica ${preferred} is not live` };
  }
  if (!state.isr.includes(preferred)) {
    return {
      kind: 'not-available',
      reason: `preferred replica ${preferred} is not in the ISR [${state.isr}]`,
    };
  }
  const isr = state.isr.filter((b) => live.has(b));
  return { kind: 'elected', state: next(state, preferred, isr, controllerEpoch), unclean: false };
}

/**
 * For a partition without a live leader: a live ISR member if there is one, else any live
 * replica (unclean: records only the old ISR had are lost). A partition with a live leader is
 * left alone.
 */
export function electUnclean(facts: PartitionFacts, controllerEpoch: number): ElectionOutcome {
  const { replicas, state, live } = facts;
  if (state.leader >= 0 && live.has(state.leader)) return { kind: 'not-needed' };
  const decided = reconcileLeadership({ ...facts, uncleanAllowed: true }, controllerEpoch);
  if (decided === undefined || decided.leader < 0) {
    return { kind: 'not-available', reason: `no replica of [${replicas}] is live` };
  }
  return { kind: 'elected', state: decided, unclean: !state.isr.includes(decided.leader) };
}

/**
 * Controlled shutdown of the brokers in `stopping` (Kafka's ControlledShutdown): a partition one
 * of them leads moves to the first replica, in assignment order, that is live, in the ISR and not
 * stopping, with the stopping brokers out of the ISR; a partition they only follow drops them
 * from the ISR (so acks=all stops waiting for them). Undefined when nothing can change: with no
 * other replica in sync (RF=1) the broker keeps leading until it stops, as on a kill.
 */
export function electForShutdown(
  facts: PartitionFacts,
  stopping: ReadonlySet<number>,
  controllerEpoch: number,
): PartitionState | undefined {
  const { replicas, state, live } = facts;
  const staying = state.isr.filter((b) => live.has(b) && !stopping.has(b));
  if (stopping.has(state.leader)) {
    const successor = replicas.find((b) => staying.includes(b));
    return successor === undefined ? undefined : next(state, successor, staying, controllerEpoch);
  }
  const leaderLive = state.leader >= 0 && live.has(state.leader);
  if (!leaderLive || !state.isr.some((b) => stopping.has(b))) return undefined;
  return next(
    state,
    state.leader,
    state.isr.filter((b) => !stopping.has(b)),
    controllerEpoch,
  );
}

/** Whether two states are the same decision (ignoring who wrote them). */
export function sameLeadership(a: PartitionState, b: PartitionState): boolean {
  return a.leader === b.leader && a.leaderEpoch === b.leaderEpoch && sameMembers(a.isr, b.isr);
}
