/**
 * Partition reassignment decisions (Kafka KIP-455), as pure functions of (the topic record's
 * replicas of the partition, its current PartitionState, the live brokers). The controller
 * applies what they return with guarded etcd writes (reassignments.ts); nothing here does I/O.
 *
 * The states a partition goes through:
 * - **not moving**: replicas R, no `reassignment`.
 * - **moving to T**: replicas = T ++ (R − T) (the union, target first, so the preferred replica
 *   during the move is already the target's), `reassignment = { adding: T − R, removing: R − T }`,
 *   ISR unchanged. The adding replicas become followers, catch up, and the leader adds them to
 *   the ISR as it does any caught-up follower.
 * - **complete** once every target replica is live and in the ISR: replicas = T, the ISR cut to
 *   T, T[0] leads (a new leader epoch if it did not already), no `reassignment`. Brokers no longer
 *   listed stop their replica and delete its data.
 * - **cancelled**: replicas = R, the ISR cut to R, a new leader from R if an adding replica led.
 *
 * The original replicas R of a partition that is moving are kept in `reassignment.original` (in
 * their order, so a cancellation restores the preferred leader too); they are its replicas minus
 * `adding`.
 */
import { TributaryError } from '@tributary/errors';
import type { PartitionState } from '@tributary/registry';

/** A partition's replicas (topic record) and state (partition key) to write. */
export interface ReassignmentWrite {
  readonly replicas: number[];
  readonly state: PartitionState;
}

/** What a reassignment decision needs to know about one partition. */
export interface ReassignmentFacts {
  /** The topic record's replicas of the partition (the union while moving). */
  readonly replicas: readonly number[];
  readonly state: PartitionState;
  /** Ids of the live (registered) brokers. */
  readonly live: ReadonlySet<number>;
}

const sameOrder = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => b[i] === x);

/** The replicas the partition had before the reassignment in progress (all of them if none). */
export function originalReplicas(replicas: readonly number[], state: PartitionState): number[] {
  return [...(state.reassignment?.original ?? replicas)];
}

/** The target of the reassignment in progress (the replicas if none): replicas minus `removing`. */
export function targetReplicas(replicas: readonly number[], state: PartitionState): number[] {
  const removing = state.reassignment?.removing ?? [];
  return replicas.filter((b) => !removing.includes(b));
}

/**
 * Checks a requested target: at least one broker, none twice, every one registered. Throws
 * INVALID_REPLICA_ASSIGNMENT naming what is wrong.
 */
export function validateTarget(target: readonly number[], live: ReadonlySet<number>): void {
  if (target.length === 0) {
    throw new TributaryError('INVALID_REPLICA_ASSIGNMENT', 'The target replica list is empty');
  }
  const seen = new Set<number>();
  for (const b of target) {
    if (seen.has(b)) {
      throw new TributaryError(
        'INVALID_REPLICA_ASSIGNMENT',
        `Broker ${b} appears more than once in the target replicas [${target.join(', ')}]`,
      );
    }
    seen.add(b);
  }
  const unknown = target.filter((b) => !live.has(b));
  if (unknown.length > 0) {
    throw new TributaryError(
      'INVALID_REPLICA_ASSIGNMENT',
      `Broker${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not registered ` +
        `(registered brokers: ${[...live].sort((a, b) => a - b).join(', ') || 'none'})`,
    );
  }
}

/**
 * The state change for one partition of a topic: a new leader epoch when the leader changes,
 * partition epoch + 1, this controller's epoch.
 */
function next(
  state: PartitionState,
  leader: number,
  isr: readonly number[],
  controllerEpoch: number,
  reassignment: PartitionState['reassignment'],
): PartitionState {
  const { reassignment: _, ...rest } = state;
  return {
    ...rest,
    leader,
    leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1,
    isr: [...isr],
    controllerEpoch,
    partitionEpoch: state.partitionEpoch + 1,
    ...(reassignment ? { reassignment } : {}),
  };
}

/**
 * The leader after the replica set shrinks to `replicas` with ISR `isr`: the current one if it
 * stays, else the first of `replicas` that is live and in `isr`. Throws
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when none is.
 */
function leaderWithin(
  facts: ReassignmentFacts,
  replicas: readonly number[],
  isr: readonly number[],
  why: string,
): number {
  const { state, live } = facts;
  if (state.leader >= 0 && replicas.includes(state.leader)) return state.leader;
  const successor = replicas.find((b) => live.has(b) && isr.includes(b));
  if (successor === undefined) {
    throw new TributaryError(
      'ELIGIBLE_LEADERS_NOT_AVAILABLE',
      `${why}: none of the replicas [${replicas.join(', ')}] is live and in the ISR [${state.isr.join(', ')}]`,
    );
  }
  return successor;
}

/**
 * Starts (or replaces, or re-throttles) a reassignment of one partition to `target` (validated
 * with {@link validateTarget}). Undefined when there is nothing to write: the target is the
 * current replica list and nothing is moving, or the same move with the same throttle is already
 * in progress.
 */
export function startReassignment(
  facts: ReassignmentFacts,
  target: readonly number[],
  throttleBytesPerSec: number,
  now: number,
  controllerEpoch: number,
): ReassignmentWrite | undefined {
  const { replicas, state } = facts;
  const original = originalReplicas(replicas, state);
  const current = state.reassignment;
  if (!current && sameOrder(target, original)) return undefined;
  const adding = target.filter((b) => !original.includes(b));
  const removing = original.filter((b) => !target.includes(b));
  const union = [...target, ...removing];
  if (
    current &&
    sameOrder(union, replicas) &&
    sameOrder(adding, current.adding) &&
    sameOrder(removing, current.removing) &&
    current.throttleBytesPerSec === throttleBytesPerSec
  ) {
    return undefined;
  }
  // Replicas a replaced reassignment was adding that the new one does not want leave at once.
  const isr = state.isr.filter((b) => union.includes(b));
  const leader = leaderWithin(facts, union, isr, 'Cannot replace the reassignment in progress');
  const sameMove = current && sameOrder(union, replicas);
  return {
    replicas: union,
    state: next(state, leader, isr, controllerEpoch, {
      adding,
      removing,
      original,
      throttleBytesPerSec,
      startedAt: sameMove ? current.startedAt : now,
    }),
  };
}

/**
 * Completes a reassignment whose target replicas are all live and in the ISR: the target becomes
 * the replica set, the ISR is cut to it, and its first replica leads. Undefined while the target
 * is not in sync yet (or nothing is moving).
 */
export function completeReassignment(
  facts: ReassignmentFacts,
  controllerEpoch: number,
): ReassignmentWrite | undefined {
  const { replicas, state, live } = facts;
  if (!state.reassignment) return undefined;
  const target = targetReplicas(replicas, state);
  const preferred = target[0];
  if (preferred === undefined || !target.every((b) => live.has(b) && state.isr.includes(b))) return undefined;
  const isr = state.isr.filter((b) => target.includes(b));
  return { replicas: target, state: next(state, preferred, isr, controllerEpoch, undefined) };
}

/**
 * Cancels the reassignment in progress: the original replicas come back as the replica set, the
 * ISR is cut to them, and if an adding replica led, the first original replica that is live and
 * in sync leads. Throws NO_REASSIGNMENT_IN_PROGRESS when nothing is moving, and
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when no original replica could lead.
 */
export function cancelReassignment(facts: ReassignmentFacts, controllerEpoch: number): ReassignmentWrite {
  const { replicas, state } = facts;
  if (!state.reassignment) {
    throw new TributaryError(
      'NO_REASSIGNMENT_IN_PROGRESS',
      'No reassignment of this partition is in progress',
    );
  }
  const original = originalReplicas(replicas, state);
  const isr = state.isr.filter((b) => original.includes(b));
  const leader = leaderWithin(facts, original, isr, 'Cannot cancel');
  return { replicas: original, state: next(state, leader, isr, controllerEpoch, undefined) };
}
