import fc from 'fast-check';
import { parseTp, type TpKey } from '../topic-partition';
import {
  type Assignment,
  type Assignor,
  type AssignorMember,
  cooperativeStickyAssignor,
  rangeAssignor,
  roundRobinAssignor,
} from './index';

const ALL: readonly Assignor[] = [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor];

const member = (id: string, topics: string[], owned: TpKey[] = [], instanceId = ''): AssignorMember => ({
  memberId: id,
  instanceId,
  topics,
  owned,
});

const members = (n: number, topics: string[]): AssignorMember[] =>
  Array.from({ length: n }, (_, i) => member(`m-${String(i).padStart(3, '0')}`, topics));

const counts = (entries: Record<string, number>) => new Map(Object.entries(entries));

/** Every partition of the counts appears exactly once, and only at a member subscribing to its topic. */
function expectValid(
  assignment: Assignment,
  ms: readonly AssignorMember[],
  partitionCounts: Map<string, number>,
) {
  const seen = new Set<TpKey>();
  for (const m of ms) {
    for (const tp of assignment.get(m.memberId) ?? []) {
      expect(seen.has(tp)).toBe(false);
      seen.add(tp);
      expect(m.topics).toContain(parseTp(tp).topic);
    }
  }
  const subscribed = new Set(ms.flatMap((m) => m.topics));
  let expected = 0;
  for (const [topic, n] of partitionCounts) if (subscribed.has(topic)) expected += n;
  expect(seen.size).toBe(expected);
}

const sizes = (assignment: Assignment) => [...assignment.values()].map((l) => l.length);
const spread = (assignment: Assignment) => Math.max(...sizes(assignment)) - Math.min(...sizes(assignment));

/** Partitions taken from a member that is still in the group (a leaver's partitions do not count). */
function moved(before: Assignment, after: Assignment): number {
  const owner = new Map<TpKey, string>();
  for (const [m, tps] of before) if (after.has(m)) for (const tp of tps) owner.set(tp, m);
  let n = 0;
  for (const [m, tps] of after) for (const tp of tps) if (owner.has(tp) && owner.get(tp) !== m) n++;
  return n;
}

describe.each(ALL.map((a) => [a.name, a] as const))('%s assignor', (_name, assignor) => {
  it('assigns every partition exactly once, balanced, with equal subscriptions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 7 }),
        (n, p1, p2) => {
          const ms = members(n, ['a', 'b']);
          const pc = counts({ a: p1, b: p2 });
          const assignment = assignor.assign({ members: ms, partitionCounts: pc });
          expectValid(assignment, ms, pc);
          if (assignor.name === 'range') {
            for (const topic of ['a', 'b']) {
              const perTopic = [...assignment.values()].map(
                (l) => l.filter((tp) => tp.startsWith(`${topic}/`)).length,
              );
              expect(Math.max(...perTopic) - Math.min(...perTopic)).toBeLessThanOrEqual(1);
            }
          } else {
            expect(spread(assignment)).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });

  it('is deterministic: member order in the input does not matter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer(),
        (n, p, seed) => {
          const ms = members(n, ['t']).map((m, i) => ({ ...m, owned: i % 2 === 0 ? [`t/${i}`] : [] }));
          const shuffled = [...ms].sort(
            (x, y) => ((x.memberId.charCodeAt(4) * seed) % 7) - ((y.memberId.charCodeAt(4) * seed) % 7),
          );
          const pc = counts({ t: p });
          expect(assignor.assign({ members: shuffled, partitionCounts: pc })).toEqual(
            assignor.assign({ members: ms, partitionCounts: pc }),
          );
        },
      ),
    );
  });

  it('assigns only subscribed topics and skips topics that do not exist', () => {
    const ms = [member('x', ['a']), member('y', ['a', 'b']), member('z', ['missing'])];
    const pc = counts({ a: 4, b: 3 });
    const assignment = assignor.assign({ members: ms, partitionCounts: pc });
    expectValid(assignment, ms, pc);
    expect(assignment.get('z')).toEqual([]);
    expect(assignment.get('x')!.every((tp) => tp.startsWith('a/'))).toBe(true);
  });

  it('gives a member list to every member, empty when there is nothing to assign', () => {
    const assignment = assignor.assign({ members: members(3, ['t']), partitionCounts: counts({}) });
    expect([...assignment.values()]).toEqual([[], [], []]);
  });
});

describe('range assignor', () => {
  it('gives contiguous ranges, remainders to the first members', () => {
    const assignment = rangeAssignor.assign({
      members: members(3, ['t']),
      partitionCounts: counts({ t: 7 }),
    });
    expect([...assignment.values()]).toEqual([
      ['t/0', 't/1', 't/2'],
      ['t/3', 't/4'],
      ['t/5', 't/6'],
    ]);
  });

  it('orders static members by instance id, so a restarted one (new member id) keeps its range', () => {
    const before = rangeAssignor.assign({
      members: [member('b-1', ['t'], [], 'pod-0'), member('a-1', ['t'], [], 'pod-1')],
      partitionCounts: counts({ t: 4 }),
    });
    expect(before.get('b-1')).toEqual(['t/0', 't/1']);
    const after = rangeAssignor.assign({
      members: [member('z-2', ['t'], [], 'pod-0'), member('a-1', ['t'], [], 'pod-1')],
      partitionCounts: counts({ t: 4 }),
    });
    expect(after.get('z-2')).toEqual(['t/0', 't/1']);
  });
});

describe('round-robin assignor', () => {
  it('deals partitions in turn', () => {
    const assignment = roundRobinAssignor.assign({
      members: members(3, ['t']),
      partitionCounts: counts({ t: 5 }),
    });
    expect([...assignment.values()]).toEqual([['t/0', 't/3'], ['t/1', 't/4'], ['t/2']]);
  });
});

describe('cooperative-sticky assignor', () => {
  const start = (n: number, p: number) => {
    const ms = members(n, ['t']);
    return {
      ms,
      assignment: cooperativeStickyAssignor.assign({ members: ms, partitionCounts: counts({ t: p }) }),
    };
  };
  const withOwned = (ms: AssignorMember[], assignment: Assignment) =>
    ms.map((m) => ({ ...m, owned: assignment.get(m.memberId) ?? [] }));

  it.each([
    [10, 100],
    [10, 120],
    [10, 7],
    [10, 1000],
    [3, 12],
  ])('moves the minimum when a member joins %i members owning %i partitions', (n, p) => {
    const { ms, assignment } = start(n, p);
    const joined = [...withOwned(ms, assignment), member('m-new', ['t'])];
    const after = cooperativeStickyAssignor.assign({ members: joined, partitionCounts: counts({ t: p }) });
    expectValid(after, joined, counts({ t: p }));
    expect(spread(after)).toBeLessThanOrEqual(1);
    // The newcomer needs floor(p / (n + 1)) partitions for balance; nothing else may move.
    expect(moved(assignment, after)).toBe(Math.floor(p / (n + 1)));
    expect(after.get('m-new')!.length).toBe(Math.floor(p / (n + 1)));
  });

  it('moves only the leaver’s partitions when a member leaves', () => {
    const { ms, assignment } = start(4, 12);
    const remaining = withOwned(ms, assignment).slice(1);
    const after = cooperativeStickyAssignor.assign({
      members: remaining,
      partitionCounts: counts({ t: 12 }),
    });
    expect(moved(assignment, after)).toBe(0);
    for (const m of remaining)
      expect(after.get(m.memberId)).toEqual(expect.arrayContaining(assignment.get(m.memberId)!));
    expect(spread(after)).toBe(0);
  });

  it('keeps everything in place when nothing changed', () => {
    const { ms, assignment } = start(5, 23);
    const again = cooperativeStickyAssignor.assign({
      members: withOwned(ms, assignment),
      partitionCounts: counts({ t: 23 }),
    });
    expect(again).toEqual(assignment);
  });

  it('spreads new partitions of a grown topic without moving owned ones', () => {
    const { ms, assignment } = start(3, 6);
    const after = cooperativeStickyAssignor.assign({
      members: withOwned(ms, assignment),
      partitionCounts: counts({ t: 9 }),
    });
    expect(moved(assignment, after)).toBe(0);
    expect(sizes(after)).toEqual([3, 3, 3]);
  });

  it('drops owned partitions a member no longer subscribes to or that no longer exist, and claims made twice', () => {
    const ms = [member('a', ['t'], ['t/0', 't/1', 'gone/0', 'u/0']), member('b', ['t', 'u'], ['t/1', 't/9'])];
    const pc = counts({ t: 4, u: 2 });
    const after = cooperativeStickyAssignor.assign({ members: ms, partitionCounts: pc });
    expectValid(after, ms, pc);
    expect(after.get('a')).toEqual(expect.arrayContaining(['t/0', 't/1']));
    expect(after.get('b')).toEqual(expect.arrayContaining(['u/0', 'u/1']));
  });

  it('stays valid and balanced among equal subscribers through random joins and leaves', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 50 }),
        (steps, p) => {
          let ms: AssignorMember[] = [member('m-0', ['t'])];
          let current = cooperativeStickyAssignor.assign({ members: ms, partitionCounts: counts({ t: p }) });
          steps.forEach((join, i) => {
            ms = withOwned(ms, current);
            if (join || ms.length === 1) ms = [...ms, member(`m-${i + 1}`, ['t'])];
            else ms = ms.filter((_, k) => k !== i % ms.length);
            const next = cooperativeStickyAssignor.assign({ members: ms, partitionCounts: counts({ t: p }) });
            expectValid(next, ms, counts({ t: p }));
            expect(spread(next)).toBeLessThanOrEqual(1);
            current = next;
          });
        },
      ),
    );
  });
});
