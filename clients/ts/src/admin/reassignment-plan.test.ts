import {
  currentPlan,
  formatPlan,
  generateDecommission,
  generateSpread,
  PlanError,
  parsePlan,
  type ReassignmentPlan,
  type TopicAssignment,
} from './reassignment-plan';

/** Applies a plan to an assignment. */
function apply(topics: readonly TopicAssignment[], plan: ReassignmentPlan): TopicAssignment[] {
  return topics.map((t) => ({
    topic: t.topic,
    replicas: t.replicas.map(
      (r, p) => plan.partitions.find((x) => x.topic === t.topic && x.partition === p)?.replicas ?? r,
    ),
  }));
}

function loads(topics: readonly TopicAssignment[]): Map<number, number> {
  const load = new Map<number, number>();
  for (const t of topics) for (const r of t.replicas) for (const b of r) load.set(b, (load.get(b) ?? 0) + 1);
  return load;
}

const rf3on3 = (topic: string, partitions: number): TopicAssignment => ({
  topic,
  replicas: Array.from({ length: partitions }, (_, p) => [p % 3, (p + 1) % 3, (p + 2) % 3]),
});

describe('parsePlan', () => {
  it('reads the Kafka plan format and writes it back', () => {
    const text = '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}';
    const plan = parsePlan(text);
    expect(plan.partitions).toEqual([{ topic: 't', partition: 0, replicas: [1, 2, 3] }]);
    expect(parsePlan(formatPlan(plan))).toEqual(plan);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"version":2,"partitions":[]}', 'must be {"version":1'],
    ['{"version":1,"partitions":[{"topic":"","partition":0,"replicas":[1]}]}', 'partitions[0].topic'],
    ['{"version":1,"partitions":[{"topic":"t","partition":-1,"replicas":[1]}]}', 'partitions[0].partition'],
    ['{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":["a"]}]}', 'partitions[0].replicas'],
    [
      '{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}',
      'listed twice',
    ],
  ])('refuses %s', (text, message) => {
    expect(() => parsePlan(text)).toThrow(PlanError);
    expect(() => parsePlan(text)).toThrow(message);
  });
});

describe('generateSpread', () => {
  it('gives a new fourth broker its share of an RF=3 topic and keeps RF, distinct replicas, listed brokers', () => {
    const topics = [rf3on3('a', 8), rf3on3('b', 4)];
    const plan = generateSpread(topics, [0, 1, 2, 3]);
    const after = apply(topics, plan);
    for (const t of after) {
      for (const r of t.replicas) {
        expect(r).toHaveLength(3);
        expect(new Set(r).size).toBe(3);
        for (const b of r) expect([0, 1, 2, 3]).toContain(b);
      }
    }
    const load = loads(after);
    const counts = [0, 1, 2, 3].map((b) => load.get(b) ?? 0);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
    expect(load.get(3)).toBeGreaterThanOrEqual(8);
    // It does not rewrite every partition: some replicas stay where they are.
    const moved = plan.partitions.length;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(12);
  });

  it('lists nothing when the topic is already spread over exactly those brokers', () => {
    expect(generateSpread([rf3on3('a', 6)], [0, 1, 2]).partitions).toEqual([]);
  });

  it('refuses a replication factor larger than the broker list', () => {
    expect(() => generateSpread([rf3on3('a', 2)], [0, 1])).toThrow(
      /replication factor 3, more than the 2 brokers/,
    );
  });
});

describe('generateDecommission', () => {
  it('moves every replica off the broker, to the least-loaded others, keeping positions', () => {
    const topics: TopicAssignment[] = [
      {
        topic: 'a',
        replicas: [
          [0, 1, 2],
          [1, 2, 3],
          [2, 3, 0],
          [3, 0, 1],
        ],
      },
      { topic: 'b', replicas: [[1], [2], [3]] },
    ];
    const plan = generateDecommission(topics, [0, 1, 2, 3], [1]);
    const after = apply(topics, plan);
    for (const t of after) for (const r of t.replicas) expect(r).not.toContain(1);
    for (const t of after) for (const r of t.replicas) expect(new Set(r).size).toBe(r.length);
    // Only partitions that held broker 1 are in the plan, and the other replicas keep their places.
    expect(plan.partitions.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-0', 'a-1', 'a-3', 'b-0']);
    expect(plan.partitions[0]!.replicas[0]).toBe(0);
    expect(plan.partitions[0]!.replicas[2]).toBe(2);
    const load = loads(after);
    expect(
      Math.max(load.get(0)!, load.get(2)!, load.get(3)!) - Math.min(load.get(0)!, load.get(2)!, load.get(3)!),
    ).toBeLessThanOrEqual(1);
  });

  it('says which partition cannot leave when too few brokers remain', () => {
    expect(() => generateDecommission([rf3on3('a', 1)], [0, 1, 2], [2])).toThrow(
      /Cannot move a-0 off broker 2: it has 3 replicas and only 2 other brokers \(0, 1\) remain/,
    );
  });

  it('currentPlan lists every partition for rollback', () => {
    expect(currentPlan([rf3on3('a', 2)]).partitions).toEqual([
      { topic: 'a', partition: 0, replicas: [0, 1, 2] },
      { topic: 'a', partition: 1, replicas: [1, 2, 0] },
    ]);
  });
});
