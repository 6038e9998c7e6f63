import type { DecodedRecord } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import { stringSerde } from '../serializers/serializers';
import { Consumer } from './consumer';
import { consumerWithDefaults } from './consumer-options';
import type { RecordSource, SourceBatch, SourcePartitionError } from './record-source';
import type { TopicPartition, TopicPartitionOffset } from './types';

/** A RecordSource over an in-memory log per partition, honouring add/seek/remove and the byte budget. */
class FakeSource implements RecordSource {
  readonly logs = new Map<string, string[]>();
  readonly reading = new Map<string, TopicPartitionOffset>();
  outstanding = 0;
  maxOutstanding = 0;
  private waiter: (() => void) | undefined;
  private closed = false;
  readonly errors: SourcePartitionError[] = [];

  constructor(private readonly budget: number) {}

  append(topic: string, partition: number, values: string[]): void {
    const k = `${topic}/${partition}`;
    this.logs.set(k, [...(this.logs.get(k) ?? []), ...values]);
    this.wake();
  }

  add(partitions: readonly TopicPartitionOffset[]): void {
    for (const p of partitions) this.reading.set(`${p.topic}/${p.partition}`, { ...p });
    this.wake();
  }

  remove(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.reading.delete(`${p.topic}/${p.partition}`);
  }

  async next(): Promise<{ batches: SourceBatch[]; errors: SourcePartitionError[] } | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const batches: SourceBatch[] = [];
      for (const [k, p] of this.reading) {
        if (this.outstanding >= this.budget) break;
        const log = this.logs.get(k) ?? [];
        if (p.offset >= log.length) continue;
        const end = Math.min(log.length, p.offset + 3); // batches of three records
        const records: DecodedRecord[] = log.slice(p.offset, end).map((v, i) => ({
          offset: p.offset + i,
          timestamp: 1000 + p.offset + i,
          key: Buffer.from(`k${p.offset + i}`),
          value: Buffer.from(v),
          headers: [],
        }));
        batches.push({
          topic: p.topic,
          partition: p.partition,
          fetchOffset: p.offset,
          nextOffset: end,
          highWatermark: log.length,
          decode: () => records,
          leaderEpoch: 0,
          bytes: 10,
        });
        this.outstanding += 10;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
        p.offset = end;
      }
      if (batches.length > 0 || this.errors.length > 0) return { batches, errors: this.errors.splice(0) };
      await new Promise<void>((r) => {
        this.waiter = r;
      });
    }
  }

  release(batch: SourceBatch): void {
    this.outstanding -= batch.bytes;
    this.wake();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

const noCluster = {} as Cluster;

function makeConsumer(source: FakeSource) {
  return new Consumer(
    noCluster,
    'test',
    consumerWithDefaults({
      valueDeserializer: stringSerde.deserialize,
      keyDeserializer: stringSerde.deserialize,
    }),
    () => source,
  );
}

describe('Consumer (over a fake source)', () => {
  it('yields records in order, waits for new ones instead of ending, and re-reads after seek', async () => {
    const source = new FakeSource(1000);
    source.append('t', 0, ['a', 'b', 'c', 'd']);
    const consumer = makeConsumer(source);
    await consumer.assign([{ topic: 't', partition: 0, offset: 1 }]);
    const got: string[] = [];
    const it = consumer[Symbol.asyncIterator]();
    for (let i = 0; i < 3; i++) got.push((await it.next()).value!.value);
    expect(got).toEqual(['b', 'c', 'd']);
    const pending = it.next();
    let resolved = false;
    void pending.then(() => {
      resolved = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false); // waits for new records
    source.append('t', 0, ['e']);
    expect((await pending).value).toMatchObject({
      offset: 4,
      value: 'e',
      key: 'k4',
      topic: 't',
      partition: 0,
    });
    consumer.seek({ topic: 't', partition: 0, offset: 0 });
    expect((await it.next()).value).toMatchObject({ offset: 0, value: 'a' });
    expect(consumer.position({ topic: 't', partition: 0 })).toBe(1);
    await consumer.disconnect();
    expect((await it.next()).done).toBe(true);
  });

  it('run(eachMessage): per-partition order, pause/resume, prefetch bounded by the budget', async () => {
    const source = new FakeSource(20); // two batches of 10 "bytes" outstanding at most
    for (let p = 0; p < 3; p++)
      source.append(
        't',
        p,
        Array.from({ length: 30 }, (_, i) => `${p}:${i}`),
      );
    const consumer = makeConsumer(source);
    await consumer.assign([0, 1, 2].map((partition) => ({ topic: 't', partition, offset: 0 })));
    const seen = new Map<number, number[]>();
    let count = 0;
    let pausedOnce = false;
    const done = consumer.run({
      partitionsConsumedConcurrently: 2,
      eachMessage: async ({ message, pause }) => {
        const list = seen.get(message.partition) ?? [];
        list.push(message.offset);
        seen.set(message.partition, list);
        count++;
        if (message.partition === 1 && message.offset === 10 && !pausedOnce) {
          pausedOnce = true;
          pause();
          setTimeout(() => consumer.resume([{ topic: 't', partition: 1 }]), 20);
        }
        if (count === 90) void consumer.disconnect();
      },
    });
    await done;
    for (let p = 0; p < 3; p++) expect(seen.get(p)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(source.maxOutstanding).toBeLessThanOrEqual(20);
  });

  it('a failing eachMessage redelivers from the failed record', async () => {
    const source = new FakeSource(1000);
    source.append('t', 0, ['a', 'b', 'c']);
    const consumer = makeConsumer(source);
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    const seen: string[] = [];
    let failed = false;
    await expect(
      consumer.run({
        eachMessage: ({ message }) => {
          if (message.value === 'b' && !failed) {
            failed = true;
            throw new Error('boom');
          }
          seen.push(message.value!);
        },
      }),
    ).rejects.toThrow('boom');
    const rest: string[] = [];
    for await (const m of consumer) {
      rest.push(m.value!);
      if (rest.length === 2) break;
    }
    expect([...seen, ...rest]).toEqual(['a', 'b', 'c']);
    await consumer.disconnect();
  });

  it('run(eachBatch): one call takes the fetched batches of a partition in order, and a failed call is redelivered from its first record', async () => {
    const source = new FakeSource(1000);
    source.append(
      't',
      0,
      Array.from({ length: 9 }, (_, i) => `v${i}`),
    );
    const consumer = makeConsumer(source);
    await consumer.assign([{ topic: 't', partition: 0, offset: 0 }]);
    await new Promise((r) => setTimeout(r, 20)); // the source's three batches of three are fetched
    const calls: number[][] = [];
    await expect(
      consumer.run({
        eachBatch: ({ batch }) => {
          calls.push(batch.messages.map((m) => m.offset));
          throw new Error('boom');
        },
      }),
    ).rejects.toThrow('boom');
    const all = Array.from({ length: 9 }, (_, i) => i);
    expect(calls).toEqual([all]);
    const again: number[] = [];
    for await (const m of consumer) {
      again.push(m.offset);
      if (again.length === 9) break;
    }
    expect(again).toEqual(all);
    expect(consumer.position({ topic: 't', partition: 0 })).toBe(9);
    await consumer.disconnect();
  });

  it('subscribe and commit without a group fail with a message that says what to do', async () => {
    const consumer = makeConsumer(new FakeSource(10));
    await expect(consumer.subscribe({ topics: ['t'] })).rejects.toThrow(/needs a groupId/);
    await expect(consumer.commit()).rejects.toThrow(/needs a groupId/);
    expect(() => consumer.seek({ topic: 't', partition: 9, offset: 0 })).toThrow(/not assigned/);
  });
});
