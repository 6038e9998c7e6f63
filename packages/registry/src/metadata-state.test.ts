import * as keys from './keys';
import { MetadataState } from './metadata-state';
import { serializeRecord } from './records';

const rev = (n: number) => ({ createRevision: n, modRevision: n });

describe('metadata state', () => {
  it('applies puts and deletes per section and reports what changed', () => {
    const errors: Error[] = [];
    const state = new MetadataState((err) => errors.push(err));
    const broker = { version: 1, id: 3, host: 'h', port: 9092, rack: null, startedAt: 1 };
    expect(state.put('brokers', keys.brokerKey(3), serializeRecord(broker), rev(5))).toEqual({
      section: 'brokers',
      id: 3,
      value: broker,
    });
    const p0 = { version: 1, leader: 3, leaderEpoch: 0, isr: [3], controllerEpoch: 2, partitionEpoch: 0 };
    const put = state.put('partitions', keys.partitionStateKey('a.b-c', 0), serializeRecord(p0), rev(7));
    expect(put).toMatchObject({ section: 'partitions', topic: 'a.b-c', partition: 0, previous: undefined });
    expect(state.partitions.get('a.b-c')?.get(0)).toEqual({ value: p0, createRevision: 7, modRevision: 7 });
    expect(state.keysOf('partitions')).toEqual(['partitions/a.b-c/0']);
    expect(state.delete('partitions', keys.partitionStateKey('a.b-c', 0))).toMatchObject({
      value: undefined,
      previous: { value: p0 },
    });
    expect(state.partitions.size).toBe(0);
    expect(state.delete('brokers', keys.brokerKey(9))).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it('ignores malformed records, reporting them, as if absent', () => {
    const errors: Error[] = [];
    const state = new MetadataState((err) => errors.push(err));
    expect(state.put('topics', keys.topicKey('t'), '{"version":2}', rev(1))).toBeUndefined();
    expect(state.put('topics', keys.topicKey('t'), 'not json', rev(1))).toBeUndefined();
    expect(state.topics.size).toBe(0);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/topics\/t holds an unexpected record/),
      expect.stringMatching(/topics\/t holds invalid JSON/),
    ]);
  });
});
