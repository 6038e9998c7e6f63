import type { BrokerRegistration, PartitionState, TopicRecord, Versioned } from '@tributary/registry';
import { laggingReplicas } from './replica-readiness';

const versioned = <T>(value: T): Versioned<T> => ({ value, createRevision: 1, modRevision: 1 });
const topic = (name: string, replicas: number[][], deleting = false) =>
  versioned<TopicRecord>({ version: 1, name, topicId: name, replicas, configs: {}, createdAt: 0, deleting });
const state = (leader: number, isr: number[]) =>
  versioned<PartitionState>({
    version: 1,
    leader,
    leaderEpoch: 1,
    isr,
    controllerEpoch: 1,
    partitionEpoch: 1,
  });
const live = (...ids: number[]) =>
  new Map(
    ids.map((id) => [
      id,
      { version: 1, id, host: 'h', port: 1, rack: null, startedAt: 0 } as BrokerRegistration,
    ]),
  );

describe('laggingReplicas', () => {
  const topics = new Map([
    [
      'a',
      topic('a', [
        [0, 1, 2],
        [1, 2, 0],
        [2, 1],
      ]),
    ],
    ['gone', topic('gone', [[1, 0]], true)],
  ]);
  const partitions = new Map<string, Map<number, Versioned<PartitionState>>>([
    [
      'a',
      new Map([
        [0, state(0, [0, 1])],
        [1, state(1, [1, 2])],
        [2, state(2, [2, 1])],
      ]),
    ],
    ['gone', new Map([[0, state(1, [1])]])],
  ]);
  const of = (t: string) => partitions.get(t) ?? new Map();

  it('names the partitions whose live leader has this broker out of the ISR', () => {
    expect(laggingReplicas(0, topics, of, live(0, 1, 2))).toEqual([{ topic: 'a', partition: 1, leader: 1 }]);
    expect(laggingReplicas(2, topics, of, live(0, 1, 2))).toEqual([{ topic: 'a', partition: 0, leader: 0 }]);
  });

  it('is caught up as leader, in every ISR, or where it is no replica (topics being deleted too)', () => {
    expect(laggingReplicas(1, topics, of, live(0, 1, 2))).toEqual([]);
    expect(laggingReplicas(7, topics, of, live(0, 1, 2))).toEqual([]);
  });

  it('ignores partitions that have no live leader to catch up from, or no state yet', () => {
    expect(laggingReplicas(0, topics, of, live(0, 2))).toEqual([]);
    const offline = new Map([['a', new Map([[1, state(-1, [])]])]]);
    expect(laggingReplicas(0, topics, (t) => offline.get(t) ?? new Map(), live(0, 1, 2))).toEqual([]);
  });
});
