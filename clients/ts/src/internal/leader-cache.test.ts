/**
 * Shape of the produce path at many partitions (issue 13): what depends only on metadata (the
 * partitioner's view of partitions with a live leader) is built once per metadata change and
 * reused across sends, never rebuilt per record.
 */
import type { MetadataResponse__Output } from '@tributary/proto';
import type { PartitionerInput } from '../partitioner/partitioner';
import { Producer } from '../producer/producer';
import { LeaderCache } from './leader-cache';

const PARTITIONS = 1000;

/** Metadata for one topic whose partitions are led by broker 0, but those in `leaderless`. */
function metadata(topic: string, leaderless: ReadonlySet<number> = new Set()): MetadataResponse__Output {
  return {
    brokers: [{ brokerId: 0, host: '127.0.0.1', port: 1, rack: '' }],
    topics: [
      {
        name: topic,
        errorCode: 0,
        errorMessage: '',
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          leaderId: leaderless.has(partition) ? -1 : 0,
          leaderEpoch: '1',
          replicas: [0],
          isr: [0],
        })),
      },
    ],
  } as unknown as MetadataResponse__Output;
}

describe('LeaderCache.available', () => {
  it('hands out one frozen list per metadata change', async () => {
    let leaderless = new Set<number>();
    const cache = new LeaderCache(async () => metadata('t', leaderless), 0);
    await cache.refresh(['t'], true);
    const first = cache.available('t');
    expect(first).toHaveLength(PARTITIONS);
    expect(Object.isFrozen(first)).toBe(true);
    for (let i = 0; i < 100; i++) expect(cache.available('t')).toBe(first);

    leaderless = new Set([3, 7]);
    await cache.refresh(['t'], true);
    const second = cache.available('t');
    expect(second).not.toBe(first);
    expect(second).toHaveLength(PARTITIONS - 2);
    expect(second).not.toContain(3);
    expect(cache.available('t')).toBe(second);
  });
});

describe('the producer', () => {
  it('gives the partitioner the same view across sends until metadata changes', async () => {
    let metadataAnswers = 0;
    const views = new Set<readonly number[] | undefined>();
    let calls = 0;
    const producer = new Producer({
      metadata: async (topics) => {
        metadataAnswers++;
        return metadata(topics[0] ?? 't');
      },
      acks: 1,
      lingerMs: 0,
      deliveryTimeoutMs: 1,
      partitioner: (input: PartitionerInput) => {
        calls++;
        views.add(input.availablePartitions);
        return calls % PARTITIONS;
      },
    });
    const sends: Promise<unknown>[] = [];
    for (let s = 0; s < 20; s++) {
      sends.push(
        producer
          .send({ topic: 't', messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })) })
          .catch(() => undefined),
      );
    }
    await Promise.all(sends);
    await producer.disconnect();
    expect(calls).toBe(2000);
    // One view per metadata answer at most (there is no broker at 127.0.0.1:1, so the failed
    // sends refresh metadata a few times): never one per record.
    expect(views.size).toBeLessThanOrEqual(metadataAnswers);
    expect(views.size).toBeLessThan(20);
  });
});

describe('LeaderCache.applyLeaderHint (KIP-951)', () => {
  it('moves a partition to the hinted leader when the hint is newer, and only then', async () => {
    const md = metadata('t', new Set([5]));
    md.brokers.push({ brokerId: 1, host: '127.0.0.1', port: 2, rack: '' } as (typeof md.brokers)[number]);
    const cache = new LeaderCache(async () => md, 0);
    await cache.refresh(['t'], true);
    const before = cache.available('t');
    expect(cache.applyLeaderHint('t', 0, { leaderId: 1, leaderEpoch: '2' })).toBe(true);
    expect(cache.leader('t', 0)).toEqual({ leaderId: 1, leaderEpoch: 2, address: '127.0.0.1:2' });
    // A partition that had a leader keeps its place in the partitioner's view.
    expect(cache.available('t')).toBe(before);
    // Old news, an unknown broker, or no leader: refresh metadata instead.
    expect(cache.applyLeaderHint('t', 0, { leaderId: 0, leaderEpoch: '2' })).toBe(false);
    expect(cache.applyLeaderHint('t', 1, { leaderId: 7, leaderEpoch: '9' })).toBe(false);
    expect(cache.applyLeaderHint('t', 1, { leaderId: -1, leaderEpoch: '-1' })).toBe(false);
    // A leaderless partition that gains one joins the view.
    expect(cache.applyLeaderHint('t', 5, { leaderId: 1, leaderEpoch: '1' })).toBe(true);
    expect(cache.available('t')).toHaveLength(PARTITIONS);
  });
});
