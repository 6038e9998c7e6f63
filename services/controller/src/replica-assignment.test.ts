import { TributaryError } from '@tributary/errors';
import { assignReplicas, startIndexOf } from './replica-assignment';

const brokers = (n: number, racks?: readonly string[]) =>
  Array.from({ length: n }, (_, id) => ({ id, rack: racks ? racks[id % racks.length]! : null }));

const count = (values: readonly number[]) => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
};

describe('replica assignment (Kafka algorithm)', () => {
  it('matches Kafka for a fixed start index and shift', () => {
    // AdminUtilsTest.testReplicaAssignment: 5 brokers, 10 partitions, RF 3, start index 0, shift 0.
    expect(
      assignReplicas({
        partitions: 10,
        replicationFactor: 3,
        brokers: brokers(5),
        startIndex: 0,
        replicaShift: 0,
      }),
    ).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it('spreads leaders and replicas evenly', () => {
    for (const [n, partitions, rf] of [
      [3, 3000, 3],
      [5, 100, 2],
      [7, 70, 3],
    ] as const) {
      const result = assignReplicas({
        partitions,
        replicationFactor: rf,
        brokers: brokers(n),
        random: () => 0.5,
      });
      expect(result).toHaveLength(partitions);
      for (const r of result) expect(new Set(r).size).toBe(rf);
      const leaders = count(result.map((r) => r[0]!));
      expect([...leaders.values()].every((c) => c === partitions / n)).toBe(true);
      const replicas = count(result.flat());
      expect([...replicas.values()].every((c) => c === (partitions * rf) / n)).toBe(true);
    }
  });

  it("spreads one broker's followers over all the others", () => {
    const result = assignReplicas({
      partitions: 40,
      replicationFactor: 2,
      brokers: brokers(5),
      random: () => 0,
    });
    const followersOf0 = new Set(result.filter((r) => r[0] === 0).map((r) => r[1]));
    expect(followersOf0).toEqual(new Set([1, 2, 3, 4]));
  });

  it('puts the replicas of each partition on different racks when brokers declare racks', () => {
    const racked = brokers(6, ['a', 'b', 'c']);
    const result = assignReplicas({
      partitions: 60,
      replicationFactor: 3,
      brokers: racked,
      random: () => 0.3,
    });
    const rackOf = (id: number) => racked[id]!.rack;
    for (const r of result) expect(new Set(r.map(rackOf)).size).toBe(3);
    const leaders = count(result.map((r) => r[0]!));
    expect([...leaders.values()].every((c) => c === 10)).toBe(true);
    const replicas = count(result.flat());
    expect([...replicas.values()].every((c) => c === 30)).toBe(true);
  });

  it('uses every rack before repeating one when RF exceeds the rack count', () => {
    const racked = brokers(4, ['a', 'b']);
    const result = assignReplicas({ partitions: 8, replicationFactor: 3, brokers: racked, random: () => 0 });
    for (const r of result) {
      expect(new Set(r).size).toBe(3);
      expect(new Set(r.map((id) => racked[id]!.rack))).toEqual(new Set(['a', 'b']));
    }
  });

  it('falls back to rack-unaware when only some brokers declare a rack', () => {
    const mixed = [
      { id: 0, rack: 'a' },
      { id: 1, rack: null },
      { id: 2, rack: 'b' },
    ];
    const result = assignReplicas({
      partitions: 3,
      replicationFactor: 3,
      brokers: mixed,
      startIndex: 0,
      replicaShift: 0,
    });
    expect(result).toEqual([
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
    ]);
  });

  it('continues the rotation when partitions are added', () => {
    const all = assignReplicas({
      partitions: 6,
      replicationFactor: 2,
      brokers: brokers(3),
      startIndex: 1,
      replicaShift: 0,
    });
    const first = all.slice(0, 4);
    const startIndex = startIndexOf(first, brokers(3));
    expect(startIndex).toBe(1);
    const added = assignReplicas({
      partitions: 2,
      replicationFactor: 2,
      brokers: brokers(3),
      firstPartition: 4,
      startIndex: startIndex!,
      replicaShift: 0,
    });
    expect(added).toEqual(all.slice(4));
  });

  it('refuses a replication factor larger than the live brokers, naming them', () => {
    const attempt = () => assignReplicas({ partitions: 1, replicationFactor: 4, brokers: brokers(3) });
    expect(attempt).toThrow(TributaryError);
    expect(attempt).toThrow('Replication factor 4 is larger than the number of live brokers (3: 0, 1, 2)');
    try {
      attempt();
    } catch (err) {
      expect((err as TributaryError).errorName).toBe('INVALID_REPLICATION_FACTOR');
    }
  });

  it('refuses zero partitions and a zero replication factor', () => {
    expect(() => assignReplicas({ partitions: 0, replicationFactor: 1, brokers: brokers(1) })).toThrow(
      /partitions must be at least 1/,
    );
    expect(() => assignReplicas({ partitions: 1, replicationFactor: 0, brokers: brokers(1) })).toThrow(
      /Replication factor must be at least 1/,
    );
  });
});
