import type { PartitionState } from '@tributary/registry';
import {
  cancelReassignment,
  completeReassignment,
  originalReplicas,
  startReassignment,
  targetReplicas,
  validateTarget,
} from './reassignment-decisions';

const state = (leader: number, isr: number[], extra: Partial<PartitionState> = {}): PartitionState => ({
  version: 1,
  leader,
  leaderEpoch: 3,
  isr,
  controllerEpoch: 1,
  partitionEpoch: 7,
  ...extra,
});
const live = new Set([0, 1, 2, 3]);

describe('validateTarget', () => {
  it.each([
    [[], 'The target replica list is empty'],
    [[1, 2, 1], 'Broker 1 appears more than once'],
    [[1, 9], 'Broker 9 is not registered (registered brokers: 0, 1, 2, 3)'],
    [[8, 9], 'Brokers 8, 9 are not registered'],
  ])('refuses %j', (target, message) => {
    expect(() => validateTarget(target, live)).toThrow(message);
  });
  it('accepts distinct registered brokers', () => {
    expect(() => validateTarget([3, 1, 2], live)).not.toThrow();
  });
});

describe('a reassignment from [0,1,2] to [1,2,3]', () => {
  const start = startReassignment(
    { replicas: [0, 1, 2], state: state(0, [0, 1, 2]), live },
    [1, 2, 3],
    500,
    42,
    9,
  )!;

  it('starts with the union, target first, and adding/removing recorded; leader and ISR unchanged', () => {
    expect(start.replicas).toEqual([1, 2, 3, 0]);
    expect(start.state).toMatchObject({
      leader: 0,
      leaderEpoch: 3,
      isr: [0, 1, 2],
      controllerEpoch: 9,
      partitionEpoch: 8,
      reassignment: {
        adding: [3],
        removing: [0],
        original: [0, 1, 2],
        throttleBytesPerSec: 500,
        startedAt: 42,
      },
    });
    expect(originalReplicas(start.replicas, start.state)).toEqual([0, 1, 2]);
    expect(targetReplicas(start.replicas, start.state)).toEqual([1, 2, 3]);
  });

  it('does not complete until every target replica is in the ISR', () => {
    expect(completeReassignment({ replicas: start.replicas, state: start.state, live }, 9)).toBeUndefined();
  });

  it('completes once it is: target as replicas, ISR cut, first target leads at a new epoch', () => {
    const caughtUp = { ...start.state, isr: [0, 1, 2, 3] };
    const done = completeReassignment({ replicas: start.replicas, state: caughtUp, live }, 9)!;
    expect(done.replicas).toEqual([1, 2, 3]);
    expect(done.state).toMatchObject({ leader: 1, leaderEpoch: 4, isr: [1, 2, 3] });
    expect(done.state.reassignment).toBeUndefined();
  });

  it('does not complete while a target replica is dead', () => {
    const caughtUp = { ...start.state, isr: [0, 1, 2, 3] };
    expect(
      completeReassignment({ replicas: start.replicas, state: caughtUp, live: new Set([0, 1, 2]) }, 9),
    ).toBeUndefined();
  });

  it('cancels back to the original replicas, with a new leader if an adding replica led', () => {
    const ledByNew = { ...start.state, leader: 3, isr: [0, 1, 2, 3] };
    const cancelled = cancelReassignment({ replicas: start.replicas, state: ledByNew, live }, 9);
    expect(cancelled.replicas).toEqual([0, 1, 2]);
    expect(cancelled.state).toMatchObject({ leader: 0, leaderEpoch: 4, isr: [0, 1, 2] });
    expect(cancelled.state.reassignment).toBeUndefined();
  });

  it('is left alone when asked again with the same target and throttle, re-throttled otherwise', () => {
    const facts = { replicas: start.replicas, state: start.state, live };
    expect(startReassignment(facts, [1, 2, 3], 500, 99, 9)).toBeUndefined();
    const rethrottled = startReassignment(facts, [1, 2, 3], 0, 99, 9)!;
    expect(rethrottled.replicas).toEqual(start.replicas);
    expect(rethrottled.state.reassignment).toEqual({
      adding: [3],
      removing: [0],
      original: [0, 1, 2],
      throttleBytesPerSec: 0,
      startedAt: 42,
    });
  });

  it('is replaced by a new target, computed from the original replicas', () => {
    const facts = { replicas: start.replicas, state: { ...start.state, isr: [0, 1, 2, 3] }, live };
    const replaced = startReassignment(facts, [0, 1, 2], 0, 99, 9);
    // Back to the original set: nothing adding or removing, completes on the next pass.
    expect(replaced!.replicas).toEqual([0, 1, 2]);
    expect(replaced!.state.isr).toEqual([0, 1, 2]);
    expect(replaced!.state.reassignment).toMatchObject({ adding: [], removing: [] });
  });
});

describe('edge cases', () => {
  it('writes nothing when the target is the current list and nothing moves', () => {
    expect(
      startReassignment({ replicas: [0, 1], state: state(0, [0, 1]), live }, [0, 1], 0, 1, 9),
    ).toBeUndefined();
  });
  it('cancel of a partition not moving is NO_REASSIGNMENT_IN_PROGRESS', () => {
    expect(() => cancelReassignment({ replicas: [0, 1], state: state(0, [0, 1]), live }, 9)).toThrow(
      'No reassignment of this partition is in progress',
    );
  });
  it('a reordering completes at once and moves leadership to the new first replica', () => {
    const s = startReassignment(
      { replicas: [0, 1, 2], state: state(0, [0, 1, 2]), live },
      [2, 1, 0],
      0,
      1,
      9,
    )!;
    const done = completeReassignment({ replicas: s.replicas, state: s.state, live }, 9)!;
    expect(done.replicas).toEqual([2, 1, 0]);
    expect(done.state.leader).toBe(2);
  });
});
