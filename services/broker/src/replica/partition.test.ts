import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '@tributary/record-batch';
import { PartitionLog } from '../storage';
import { Partition, type ReplicaAssignment } from './partition';

describe('Partition (leader rules)', () => {
  let dir: string;
  let now = 1_000;
  const clock = () => now;
  const assignment = (over: Partial<ReplicaAssignment> = {}): ReplicaAssignment => ({
    leader: 0,
    leaderEpoch: 3,
    isr: [0, 1, 2],
    replicas: [0, 1, 2],
    partitionEpoch: 0,
    minInsyncReplicas: 2,
    ...over,
  });
  const batch = (n: number) =>
    encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'partition-test-'));
    now = 1_000;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = async () => new Partition('t', 0, await PartitionLog.open({ dir }), 0, clock);

  it('advances the high watermark to the minimum LEO of the ISR and completes acks=all waiters', async () => {
    const p = await open();
    p.makeLeader(assignment());
    const r = p.appendAsLeader(batch(5), true);
    expect(r).toMatchObject({ baseOffset: 0, endOffset: 5, duplicate: false });
    const done = new Promise((resolve) => p.awaitHighWatermark(r.endOffset, 10_000, resolve));
    p.recordFollowerFetch(1, 5);
    expect(p.log.highWatermark).toBe(0); // follower 2 has not fetched yet
    p.recordFollowerFetch(2, 3);
    expect(p.log.highWatermark).toBe(3);
    p.recordFollowerFetch(2, 5);
    expect(p.log.highWatermark).toBe(5);
    await expect(done).resolves.toBeUndefined();
    p.log.close();
  });

  it('refuses acks=all below min.insync.replicas, names lagging followers, and fails waiters on losing leadership', async () => {
    const p = await open();
    p.makeLeader(assignment({ isr: [0] }));
    expect(() => p.appendAsLeader(batch(1), true)).toThrow(
      expect.objectContaining({ errorName: 'NOT_ENOUGH_REPLICAS' }),
    );
    p.applyIsr([0, 1, 2], 1);
    const r = p.appendAsLeader(batch(1), true);
    now += 500;
    p.recordFollowerFetch(1, 1); // caught up now
    now += 10_001;
    expect(p.laggingReplicas(10_000)).toEqual([1, 2]);
    p.recordFollowerFetch(1, 1);
    expect(p.laggingReplicas(10_000)).toEqual([2]);
    const waiting = new Promise((resolve) => p.awaitHighWatermark(r.endOffset, 10_000, resolve));
    p.makeFollower(assignment({ leader: 1, leaderEpoch: 4 }));
    await expect(waiting).resolves.toMatchObject({ errorName: 'NOT_LEADER_OR_FOLLOWER' });
    expect(() => p.appendAsLeader(batch(1), false)).toThrow(
      expect.objectContaining({ errorName: 'NOT_LEADER_OR_FOLLOWER' }),
    );
    p.log.close();
  });

  it('counts the lag of an in-sync follower that has not fetched yet from the first append, not from the leader change', async () => {
    const p = await open();
    p.makeLeader(assignment());
    now += 60_000; // followers still opening the partition: nothing to wait for, nobody lags
    expect(p.laggingReplicas(10_000)).toEqual([]);
    p.recordFollowerFetch(1, 0);
    p.appendAsLeader(batch(2), false);
    now += 5_000;
    expect(p.laggingReplicas(10_000)).toEqual([]);
    p.recordFollowerFetch(1, 2);
    now += 5_001; // follower 2 has not fetched for 10,001 ms since the first append
    expect(p.laggingReplicas(10_000)).toEqual([2]);
    expect(p.log.highWatermark).toBe(0); // and it held the high watermark back meanwhile
    p.log.close();
  });

  it('asks for ISR expansion once a follower reaches the high watermark, and checks leader epochs', async () => {
    const p = await open();
    p.makeLeader(assignment({ isr: [0, 1] }));
    p.appendAsLeader(batch(4), false);
    p.recordFollowerFetch(1, 4);
    expect(p.log.highWatermark).toBe(4);
    expect(p.recordFollowerFetch(2, 2)).toBe(false);
    expect(p.recordFollowerFetch(2, 4)).toBe(true);
    expect(() => p.checkLeaderEpoch(2)).toThrow(
      expect.objectContaining({ errorName: 'FENCED_LEADER_EPOCH' }),
    );
    expect(() => p.checkLeaderEpoch(4)).toThrow(
      expect.objectContaining({ errorName: 'UNKNOWN_LEADER_EPOCH' }),
    );
    expect(() => p.checkLeaderEpoch(undefined)).not.toThrow();
    expect(p.log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 4 });
    p.log.close();
  });

  it('answers a retried idempotent batch with its original offset', async () => {
    const p = await open();
    p.makeLeader(assignment({ isr: [0], minInsyncReplicas: 1 }));
    const idem = (seq: number) =>
      encodeRecordBatch([{ value: Buffer.from('x') }, { value: Buffer.from('y') }], {
        producerId: 11,
        producerEpoch: 0,
        baseSequence: seq,
      });
    expect(p.appendAsLeader(idem(0), true).baseOffset).toBe(0);
    expect(p.appendAsLeader(idem(2), true).baseOffset).toBe(2);
    expect(p.appendAsLeader(idem(0), true)).toMatchObject({ baseOffset: 0, duplicate: true });
    expect(() => p.appendAsLeader(idem(6), true)).toThrow(
      expect.objectContaining({ errorName: 'OUT_OF_ORDER_SEQUENCE' }),
    );
    expect(p.log.logEndOffset).toBe(4);
    p.log.close();
  });
});
