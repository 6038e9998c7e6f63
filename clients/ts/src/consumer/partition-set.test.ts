import { PartitionQueue } from './partition-queue';
import { PartitionSet } from './partition-set';
import type { SourceBatch } from './record-source';

/** A queue of partition `p` of topic t holding one batch of `records` records. */
function queueWithRecords(p: number, records = 1): PartitionQueue {
  const q = new PartitionQueue('t', p, 0, 0);
  const offsets = Array.from({ length: records }, (_, i) => i);
  const batch: SourceBatch = {
    topic: 't',
    partition: p,
    fetchOffset: 0,
    nextOffset: records,
    highWatermark: records,
    decode: () => offsets.map((offset) => ({ offset, timestamp: 0, key: null, value: null, headers: [] })),
    leaderEpoch: 0,
    bytes: 10,
  };
  q.accept(batch);
  return q;
}

const never = () => false;

/** Partitions returned by `looks` calls of nextReady (without claiming). */
async function order(set: PartitionSet, looks: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < looks; i++) out.push((await set.nextReady(false, never))!.partition);
  return out;
}

describe('PartitionSet.nextReady', () => {
  function setOf(queues: PartitionQueue[]): PartitionSet {
    const set = new PartitionSet();
    for (const q of queues) {
      set.set(q);
      set.ready(q);
    }
    return set;
  }

  it('takes ready partitions round-robin, each once per round, however often they were made ready', async () => {
    const queues = [0, 1, 2, 3].map((p) => queueWithRecords(p));
    const set = setOf(queues);
    set.ready(queues[1]);
    expect(await order(set, 8)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('drops partitions without records and dropped queues, and takes them again once ready', async () => {
    const queues = [0, 1, 2].map((p) => queueWithRecords(p));
    const set = setOf(queues);
    queues[0].take(Number.MAX_SAFE_INTEGER, () => {});
    set.delete(queues[1]);
    expect(await order(set, 2)).toEqual([2, 2]);
    const again = queueWithRecords(0);
    set.set(again);
    set.ready(again);
    expect(await order(set, 4)).toEqual([2, 0, 2, 0]);
  });

  it('skips paused partitions and, when claiming, busy ones; both come back in turn', async () => {
    const queues = [0, 1, 2].map((p) => queueWithRecords(p));
    const set = setOf(queues);
    queues[0].paused = true;
    expect((await set.nextReady(true, never))!.partition).toBe(1);
    expect((await set.nextReady(true, never))!.partition).toBe(2);
    queues[0].paused = false;
    // 1 and 2 are claimed (busy): only 0 is left to claim.
    expect((await set.nextReady(true, never))!.partition).toBe(0);
    queues[1].busy = false;
    expect((await set.nextReady(true, never))!.partition).toBe(1);
  });

  it('waits for a partition to be made ready, and ends the wait when stopped', async () => {
    const set = new PartitionSet();
    const q = queueWithRecords(7);
    set.set(q);
    const waiting = set.nextReady(false, never);
    set.ready(q);
    set.wake();
    expect((await waiting)!.partition).toBe(7);
    q.take(Number.MAX_SAFE_INTEGER, () => {});
    let stop = false;
    const stopped = set.nextReady(false, () => stop);
    stop = true;
    set.wake();
    expect(await stopped).toBeUndefined();
  });

  it('keeps the round-robin order over 10,000 partitions taken many times over', async () => {
    const queues = Array.from({ length: 10_000 }, (_, p) => queueWithRecords(p));
    const set = setOf(queues);
    const taken = await order(set, 35_000);
    expect(taken.slice(0, 10_000)).toEqual(queues.map((q) => q.partition));
    expect(taken.slice(30_000)).toEqual(taken.slice(0, 5_000));
  });
});
