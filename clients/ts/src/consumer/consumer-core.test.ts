import { decodeRecordBatch, encodeRecordBatch } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import { ConsumerCore } from './consumer-core';
import { consumerWithDefaults } from './consumer-options';
import { PartitionQueue } from './partition-queue';

const core = () => new ConsumerCore({} as Cluster, consumerWithDefaults({ groupId: 'g' }));

describe('ConsumerCore.inCommitOrder', () => {
  it('starts each commit only after every earlier one has finished, failed ones included', async () => {
    const c = core();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = c.inCommitOrder(async () => {
      events.push('first start');
      await new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      events.push('first end');
      throw new Error('refused');
    });
    const second = c.inCommitOrder(async () => {
      events.push('second start');
      return 2;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first start']);
    releaseFirst();
    await expect(first).rejects.toThrow('refused');
    await expect(second).resolves.toBe(2);
    expect(events).toEqual(['first start', 'first end', 'second start']);
  });
});

describe('ConsumerCore.toMessage', () => {
  const encoded = encodeRecordBatch(
    [
      { key: Buffer.from('k'), value: Buffer.from('v') },
      { value: Buffer.from('w'), headers: [{ key: 'h', value: null }] },
    ],
    { baseOffset: 7, partitionLeaderEpoch: 3 },
  );
  const queue = () => {
    const q = new PartitionQueue('t', 2, 7, 7);
    q.leaderEpoch = 3;
    return q;
  };

  it('hands a record decoded with its origin on as the message when keys and values are bytes', () => {
    const { records } = decodeRecordBatch(encoded, 0, { topic: 't', partition: 2, leaderEpoch: 3 });
    const m = core().toMessage(queue(), records[0]!);
    expect(m).toBe(records[0]);
    expect(m).toEqual({
      topic: 't',
      partition: 2,
      offset: 7,
      timestamp: expect.any(Number),
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      headers: [],
      leaderEpoch: 3,
    });
    // A record without headers shares a frozen empty array: no one can add to another's.
    expect(Object.isFrozen(m.headers)).toBe(true);
    expect(core().toMessage(queue(), records[1]!).headers).toEqual([{ key: 'h', value: null }]);
  });

  it('builds a message of its own with deserializers, or for a record without that origin', () => {
    const { records } = decodeRecordBatch(encoded, 0, { topic: 't', partition: 2, leaderEpoch: 3 });
    const strings = new ConsumerCore<string, string>(
      {} as Cluster,
      consumerWithDefaults({
        groupId: 'g',
        keyDeserializer: (b: Buffer) => b.toString(),
        valueDeserializer: (b: Buffer) => b.toString(),
      }),
    );
    const m = strings.toMessage(queue(), records[0]!);
    expect(m).not.toBe(records[0]);
    expect(m).toMatchObject({ topic: 't', partition: 2, offset: 7, key: 'k', value: 'v', leaderEpoch: 3 });
    // Decoded without an origin (or for another partition): copied into a message.
    const plain = decodeRecordBatch(encoded).records[0]!;
    const copied = core().toMessage(queue(), plain);
    expect(copied).not.toBe(plain);
    expect(copied).toMatchObject({ topic: 't', partition: 2, offset: 7, leaderEpoch: 3 });
    const elsewhere = new PartitionQueue('t', 5, 7, 7);
    elsewhere.leaderEpoch = 3;
    expect(core().toMessage(elsewhere, records[0]!)).toMatchObject({ partition: 5 });
  });
});
