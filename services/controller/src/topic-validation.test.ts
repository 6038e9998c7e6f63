import type { TributaryError } from '@tributary/errors';
import { checkManualAssignment, checkTopicConfigs, topicNameProblem } from './topic-validation';

const errorName = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as TributaryError).errorName;
  }
  return 'NONE';
};

describe('topic validation', () => {
  it('accepts Kafka topic names and refuses the rest with a reason', () => {
    for (const ok of ['orders', 'a.b_c-D9', 'x'.repeat(249), '...', '_'])
      expect(topicNameProblem(ok)).toBeUndefined();
    expect(topicNameProblem('')).toMatch(/empty/);
    expect(topicNameProblem('.')).toMatch(/cannot be "."/);
    expect(topicNameProblem('..')).toMatch(/cannot be ".."/);
    expect(topicNameProblem('x'.repeat(250))).toMatch(/250 characters long, over the limit of 249/);
    expect(topicNameProblem('a/b c')).toMatch(/illegal characters \("\/", " "\)/);
    expect(topicNameProblem('naïve')).toMatch(/illegal characters/);
  });

  it('validates configs by name and type, naming the key', () => {
    expect(
      checkTopicConfigs({ 'retention.ms': '1000', 'unclean.leader.election.enable': 'true' }).replication,
    ).toMatchObject({ uncleanLeaderElection: true });
    expect(() => checkTopicConfigs({ 'no.such.config': '1' })).toThrow(/no\.such\.config.*unknown/);
    expect(() => checkTopicConfigs({ 'retention.ms': 'soon' })).toThrow(/retention\.ms.*not an integer/);
    expect(() => checkTopicConfigs({ 'min.insync.replicas': '0' })).toThrow(/min\.insync\.replicas/);
    expect(errorName(() => checkTopicConfigs({ 'segment.bytes': '1' }))).toBe('INVALID_CONFIG');
  });

  it('checks manual assignments', () => {
    const live = new Set([0, 1, 2]);
    expect(
      checkManualAssignment(
        [
          { partition: 1, brokerIds: [2, 0] },
          { partition: 0, brokerIds: [0, 1] },
        ],
        live,
      ),
    ).toEqual([
      [0, 1],
      [2, 0],
    ]);
    const bad = (assignments: { partition: number; brokerIds: number[] }[]) =>
      errorName(() => checkManualAssignment(assignments, live));
    expect(bad([{ partition: 1, brokerIds: [0] }])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(bad([{ partition: 0, brokerIds: [0, 0] }])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(bad([{ partition: 0, brokerIds: [7] }])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(bad([{ partition: 0, brokerIds: [] }])).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(
      bad([
        { partition: 0, brokerIds: [0, 1] },
        { partition: 1, brokerIds: [2] },
      ]),
    ).toBe('INVALID_REPLICA_ASSIGNMENT');
    expect(bad([])).toBe('INVALID_PARTITIONS');
  });
});
