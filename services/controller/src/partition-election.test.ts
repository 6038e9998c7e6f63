import type { PartitionState } from '@tributary/registry';
import {
  electForShutdown,
  electPreferred,
  electUnclean,
  initialState,
  type PartitionFacts,
  reconcileLeadership,
  sameLeadership,
} from './partition-election';

const EPOCH = 42;
const state = (leader: number, isr: number[], leaderEpoch = 3, partitionEpoch = 7): PartitionState => ({
  version: 1,
  leader,
  leaderEpoch,
  isr,
  controllerEpoch: 1,
  partitionEpoch,
});
const facts = (
  s: PartitionState,
  live: number[],
  uncleanAllowed = false,
  replicas = [1, 2, 3],
): PartitionFacts => ({
  replicas,
  state: s,
  live: new Set(live),
  uncleanAllowed,
});

describe('partition election decisions', () => {
  it('starts a partition with its first replica leading at epoch 0 and every replica in sync', () => {
    expect(initialState([2, 0, 1], EPOCH)).toEqual({
      version: 1,
      leader: 2,
      leaderEpoch: 0,
      isr: [2, 0, 1],
      controllerEpoch: EPOCH,
      partitionEpoch: 0,
    });
  });

  it('changes nothing while the leader and every ISR member are live', () => {
    expect(reconcileLeadership(facts(state(1, [1, 2, 3]), [1, 2, 3]), EPOCH)).toBeUndefined();
  });

  it('elects the next live ISR member, in assignment order, when the leader dies', () => {
    const next = reconcileLeadership(facts(state(1, [3, 1, 2]), [2, 3]), EPOCH)!;
    expect(next).toEqual({
      version: 1,
      leader: 2,
      leaderEpoch: 4,
      isr: [3, 2],
      controllerEpoch: EPOCH,
      partitionEpoch: 8,
    });
  });

  it('drops a dead follower from the ISR without a new leader epoch', () => {
    const next = reconcileLeadership(facts(state(1, [1, 2, 3]), [1, 2]), EPOCH)!;
    expect(next.leader).toBe(1);
    expect(next.leaderEpoch).toBe(3);
    expect(next.isr).toEqual([1, 2]);
    expect(next.partitionEpoch).toBe(8);
  });

  it('never elects a live replica outside the ISR (clean election)', () => {
    const next = reconcileLeadership(facts(state(1, [1, 2]), [3, 2]), EPOCH)!;
    expect(next.leader).toBe(2);
  });

  it('goes offline, keeping the last ISR, when no ISR member is live', () => {
    const next = reconcileLeadership(facts(state(1, [1]), [2, 3]), EPOCH)!;
    expect(next).toMatchObject({ leader: -1, leaderEpoch: 4, isr: [1] });
    // Already offline: nothing more to write.
    expect(reconcileLeadership(facts(next, [2, 3]), EPOCH)).toBeUndefined();
  });

  it('leads again from the ISR member that returns to an offline partition', () => {
    const offline = state(-1, [1], 4);
    const next = reconcileLeadership(facts(offline, [1, 2]), EPOCH)!;
    expect(next).toMatchObject({ leader: 1, leaderEpoch: 5, isr: [1] });
  });

  it('elects a live out-of-sync replica only when unclean election is allowed', () => {
    const next = reconcileLeadership(facts(state(1, [1]), [3, 2], true), EPOCH)!;
    expect(next).toMatchObject({ leader: 2, leaderEpoch: 4, isr: [2] });
  });

  it('stays offline with unclean election allowed while no replica at all is live', () => {
    expect(reconcileLeadership(facts(state(-1, [1], 4), [7], true), EPOCH)).toBeUndefined();
  });

  it('moves leadership back to the preferred replica once it is live and in sync', () => {
    expect(electPreferred(facts(state(1, [1, 2]), [1, 2]), EPOCH)).toEqual({ kind: 'not-needed' });
    expect(electPreferred(facts(state(2, [2, 3]), [1, 2, 3]), EPOCH)).toMatchObject({
      kind: 'not-available',
      reason: expect.stringMatching(/not in the ISR/),
    });
    expect(electPreferred(facts(state(2, [2, 3]), [2, 3]), EPOCH)).toMatchObject({
      kind: 'not-available',
      reason: expect.stringMatching(/not live/),
    });
    const moved = electPreferred(facts(state(2, [2, 3, 1], 5), [1, 2, 3]), EPOCH);
    expect(moved).toMatchObject({
      kind: 'elected',
      unclean: false,
      state: { leader: 1, leaderEpoch: 6, isr: [2, 3, 1] },
    });
  });

  it('unclean election on demand leaves led partitions alone and prefers the ISR', () => {
    expect(electUnclean(facts(state(1, [1]), [1, 2]), EPOCH)).toEqual({ kind: 'not-needed' });
    expect(electUnclean(facts(state(-1, [1, 3], 4), [3, 2]), EPOCH)).toMatchObject({
      kind: 'elected',
      unclean: false,
      state: { leader: 3 },
    });
    expect(electUnclean(facts(state(-1, [1], 4), [3, 2]), EPOCH)).toMatchObject({
      kind: 'elected',
      unclean: true,
      state: { leader: 2, isr: [2], leaderEpoch: 5 },
    });
    expect(electUnclean(facts(state(-1, [1], 4), []), EPOCH)).toMatchObject({ kind: 'not-available' });
  });

  it('compares decisions by leader, epoch and ISR membership', () => {
    expect(
      sameLeadership(state(1, [1, 2]), { ...state(1, [2, 1]), controllerEpoch: 9, partitionEpoch: 1 }),
    ).toBe(true);
    expect(sameLeadership(state(1, [1, 2]), state(1, [1]))).toBe(false);
  });

  it('handles 1,000 partitions of a lost broker in well under a millisecond each', () => {
    const live = new Set([1, 2]);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      reconcileLeadership(
        { replicas: [3, 1, 2], state: state(3, [3, 1, 2]), live, uncleanAllowed: false },
        EPOCH,
      );
    }
    expect(performance.now() - t0).toBeLessThan(200);
  });

  describe('controlled shutdown', () => {
    const stopping = (...ids: number[]) => new Set(ids);

    it('moves leadership to the first in-sync replica that is not stopping, and drops the stopping one from the ISR', () => {
      expect(electForShutdown(facts(state(1, [1, 2, 3]), [1, 2, 3]), stopping(1), EPOCH)).toEqual({
        version: 1,
        leader: 2,
        leaderEpoch: 4,
        isr: [2, 3],
        controllerEpoch: EPOCH,
        partitionEpoch: 8,
      });
    });

    it('skips replicas that are out of sync, dead, or stopping too', () => {
      expect(electForShutdown(facts(state(1, [1, 2, 3]), [1, 3]), stopping(1), EPOCH)?.leader).toBe(3);
      expect(electForShutdown(facts(state(1, [1, 3]), [1, 2, 3]), stopping(1), EPOCH)?.leader).toBe(3);
      expect(electForShutdown(facts(state(1, [1, 2, 3]), [1, 2, 3]), stopping(1, 2), EPOCH)).toMatchObject({
        leader: 3,
        isr: [3],
      });
    });

    it('keeps the leader when no other replica is in sync (RF=1, or a lone ISR)', () => {
      expect(electForShutdown(facts(state(1, [1]), [1]), stopping(1), EPOCH)).toBeUndefined();
      expect(electForShutdown(facts(state(1, [1]), [1, 2, 3]), stopping(1), EPOCH)).toBeUndefined();
    });

    it('takes a stopping follower out of the ISR, leader and leader epoch unchanged', () => {
      expect(electForShutdown(facts(state(1, [1, 2, 3]), [1, 2, 3]), stopping(3), EPOCH)).toMatchObject({
        leader: 1,
        leaderEpoch: 3,
        isr: [1, 2],
        partitionEpoch: 8,
      });
      expect(electForShutdown(facts(state(1, [1, 2]), [1, 2, 3]), stopping(3), EPOCH)).toBeUndefined();
    });
  });
});
