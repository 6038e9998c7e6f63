import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplicaFetchRequest__Output } from '@tributary/proto';
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
});
