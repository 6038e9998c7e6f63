import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplicaFetchRequest__Output, ReplicaFetchResponse } from '@tributary/proto';
import { encodeRecordBatch } from '@tributary/record-batch';
import type { PartitionState, TopicRecord } from '@tributary/registry';
import { ReplicaManager } from '../replica/replica-manager';
import { DEFAULT_DATA_PLANE_CONFIG } from '../replica/settings';
import { LogManager } from '../storage';
import { ReplicaFetchSession } from './fetch-session';

/** The shape of sessions: an idle incremental round names nothing and is answered with nothing. */
describe('ReplicaFetchSession', () => {
  const PARTITIONS = 50;
  let dir: string;
  let logs: LogManager;
  let rm: ReplicaManager;
  const quiet = { info: () => undefined, warn: () => undefined };
  let clock = 0;
  const now = () => clock;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fetch-session-'));
    logs = new LogManager({ dataDir: dir });
    await logs.start();
    rm = new ReplicaManager({
      brokerId: 0,
      logs,
      ns: () => {
        throw new Error('no etcd in this test');
      },
      config: { ...DEFAULT_DATA_PLANE_CONFIG, replicaFetchWaitMaxMs: 50 },
      logger: quiet,
      now,
    });
    clock = 1_000;
    const topic: TopicRecord = {
      version: 1,
      name: 't',
      topicId: 'id',
      replicas: Array.from({ length: PARTITIONS }, () => [0, 1]),
      configs: {},
      createdAt: 0,
    };
    const state: PartitionState = {
      version: 1,
      leader: 0,
      leaderEpoch: 1,
      isr: [0, 1],
      controllerEpoch: 1,
      partitionEpoch: 0,
    };
    for (let p = 0; p < PARTITIONS; p++) await rm.becomeLeader({ topic: 't', partition: p }, state, topic);
  });
  afterEach(async () => {
    rm.stop();
    await logs.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const round = (
    incremental: boolean,
    partitions: { partition: number; fetchOffset: number }[],
  ): ReplicaFetchRequest__Output =>
    ({
      replicaId: 1,
      maxWaitMs: 50,
      minBytes: 1,
      maxBytes: 0,
      incremental,
      forgotten: [],
      topics: [
        {
          topic: 't',
          partitions: partitions.map((p) => ({
            ...p,
            currentLeaderEpoch: 1,
            logStartOffset: 0,
            partitionMaxBytes: 0,
          })),
        },
      ],
    }) as unknown as ReplicaFetchRequest__Output;
  const all = Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, fetchOffset: 0 }));
  const answered = (res: { topics?: { partitions?: unknown[] }[] }) =>
    (res.topics ?? []).reduce((n, t) => n + (t.partitions?.length ?? 0), 0);

  it('answers a full round for every partition, then an idle incremental round with none', async () => {
    const session = new ReplicaFetchSession(rm, 1, now);
    expect(answered(await session.round(round(false, all)))).toBe(PARTITIONS);
    expect(session.size).toBe(PARTITIONS);
    expect(answered(await session.round(round(true, [])))).toBe(0);
    session.close();
  });

  it('answers only the partition that was appended to, and keeps the follower in the ISR while idle', async () => {
    const session = new ReplicaFetchSession(rm, 1, now);
    clock = 20_000;
    await session.round(round(false, all)); // every follower position recorded at 20 s
    clock = 40_000;
    const waiting = session.round(round(true, []));
    rm.get('t', 7)!.appendAsLeader(encodeRecordBatch([{ value: Buffer.from('x') }]), false);
    const res = await waiting;
    expect(res.topics?.[0]?.partitions?.map((p) => p.partition)).toEqual([7]);
    // At 45 s its last recorded position is 25 s old, but its session's last round is 5 s old
    // and it is still at the log end: not lagging (replica.lag.time.max.ms 10 s).
    clock = 45_000;
    expect(rm.get('t', 3)!.laggingReplicas(10_000)).toEqual([]);
    // Partition 7 moved on without the follower naming a new position: it lags.
    expect(rm.get('t', 7)!.laggingReplicas(10_000)).toEqual([1]);
    session.close();
  });

  it('throttles a replica a reassignment adds, and only while it is out of the ISR', async () => {
    const topic: TopicRecord = {
      version: 1,
      name: 'r',
      topicId: 'id-r',
      replicas: [[0, 1, 2]],
      configs: {},
      createdAt: 0,
    };
    const moving: PartitionState = {
      version: 1,
      leader: 0,
      leaderEpoch: 1,
      isr: [0, 1],
      controllerEpoch: 1,
      partitionEpoch: 0,
      reassignment: { adding: [2], removing: [], original: [0, 1], throttleBytesPerSec: 1000, startedAt: 0 },
    };
    await rm.becomeLeader({ topic: 'r', partition: 0 }, moving, topic);
    const p = rm.get('r', 0)!;
    for (let i = 0; i < 10; i++)
      p.appendAsLeader(encodeRecordBatch([{ value: Buffer.alloc(500, i) }]), false);
    const end = p.log.logEndOffset;
    const req = (replicaId: number, fetchOffset: number) =>
      ({
        ...round(false, []),
        replicaId,
        topics: [
          {
            topic: 'r',
            partitions: [
              { partition: 0, fetchOffset, currentLeaderEpoch: 1, logStartOffset: 0, partitionMaxBytes: 0 },
            ],
          },
        ],
      }) as unknown as ReplicaFetchRequest__Output;
    const bytesOf = (res: ReplicaFetchResponse) =>
      (res.topics?.[0]?.partitions?.[0]?.recordBatches as Buffer | undefined)?.length ?? 0;

    // An in-sync follower is not throttled: everything in one round.
    expect(bytesOf(await new ReplicaFetchSession(rm, 1, now).round(req(1, 0)))).toBeGreaterThan(5000);

    // The adding replica: a second's worth of tokens (1000 B), one whole batch over at most, then nothing.
    const adding = new ReplicaFetchSession(rm, 2, now);
    let sent = 0;
    for (let i = 0; i < 5; i++) sent += bytesOf(await adding.round(req(2, 0)));
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(1000 + 600);
    clock += 1000; // a second later, about a second's worth more
    expect(bytesOf(await adding.round(req(2, 0)))).toBeGreaterThan(0);

    // In the ISR (caught up), it is not throttled any more.
    await rm.becomeLeader(
      { topic: 'r', partition: 0 },
      { ...moving, isr: [0, 1, 2], partitionEpoch: 1 },
      topic,
    );
    expect(bytesOf(await adding.round(req(2, 0)))).toBeGreaterThan(5000);
    expect(end).toBe(10);
    adding.close();
  });
});
