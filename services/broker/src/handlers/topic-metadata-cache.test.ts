import type { MetadataChange, PartitionState, TopicRecord } from '@tributary/registry';
import type { ClusterMetadata } from '../cluster';
import { describeMetadata, topicMetadataCache } from './metadata';

/** A metadata mirror in memory: one topic of `partitions` partitions over brokers 0-2, led by 0. */
function fakeMetadata(partitions: number) {
  const record: TopicRecord = {
    version: 1,
    name: 't',
    topicId: 'id-t',
    replicas: Array.from({ length: partitions }, () => [0, 1, 2]),
    configs: {},
    createdAt: 0,
  };
  const states = new Map<number, PartitionState>();
  const state = (leader: number, isr: number[]): PartitionState =>
    ({ version: 1, leader, leaderEpoch: 1, isr, controllerEpoch: 1, partitionEpoch: 1 }) as PartitionState;
  for (let p = 0; p < partitions; p++) states.set(p, state(0, [0, 1, 2]));
  const brokers = new Map<number, unknown>([0, 1, 2].map((id) => [id, { id, host: 'h', port: id }]));
  const listeners = new Set<(c: MetadataChange) => void>();
  const view = {
    topics: () => new Map([['t', { value: record }]]),
    topic: (name: string) => (name === 't' ? { value: record } : undefined),
    partition: (_: string, p: number) => ({ value: states.get(p) }),
    brokers: () => brokers,
    controller: () => undefined,
    coordinators: () => new Map(),
  };
  const metadata = {
    view,
    loaded: true,
    topic: (name: string) => (name === 't' ? record : undefined),
    onChange: (l: (c: MetadataChange) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as ClusterMetadata;
  const emit = (c: MetadataChange) => {
    for (const l of listeners) l(c);
  };
  return { metadata, states, state, brokers, emit };
}

test('a topic answer is built once per change of its metadata, not per request', () => {
  const { metadata, states, state, brokers, emit } = fakeMetadata(1000);
  const ask = () => describeMetadata(metadata, 'c', ['t']).topics![0]!;
  const first = ask();
  for (let i = 0; i < 50; i++) expect(ask()).toBe(first);
  expect(topicMetadataCache(metadata).builds).toBe(1);

  states.set(7, state(1, [1, 2]));
  emit({ section: 'partitions', topic: 't', partition: 7 } as MetadataChange);
  expect(ask().partitions![7]).toMatchObject({ leaderId: 1, isr: [1, 2] });
  ask();
  expect(topicMetadataCache(metadata).builds).toBe(2);

  brokers.delete(1); // leaders and offline replicas depend on who is live
  emit({ section: 'brokers', id: 1, value: undefined });
  expect(ask().partitions![7]).toMatchObject({ leaderId: -1, offlineReplicas: [1] });
  expect(topicMetadataCache(metadata).builds).toBe(3);

  emit({ section: 'coordinators', id: 'g', value: undefined });
  ask();
  expect(topicMetadataCache(metadata).builds).toBe(3);
  expect(describeMetadata(metadata, 'c', ['nope']).topics![0]).toMatchObject({ errorCode: 3 });
});
