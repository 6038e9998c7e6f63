import { createClient } from '@tributary/proto';
import {
  connectEtcd,
  type EtcdConnection,
  isPartitionState,
  keys,
  type PartitionState,
  parseRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';

/**
 * Issue 5's leadership acceptance: kill -9 of a broker that leads partitions of an RF=3 topic
 * gives each of them a new leader from the ISR at a higher leader epoch (time printed), takes the
 * dead broker out of every ISR, takes an RF=1 partition offline; when the broker returns, the
 * offline partition is led again and preferred leadership comes back.
 */
describe('partition leadership on broker loss and return', () => {
  const leaseTtlSeconds = 2;
  const victim = 2;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  type Any = any;
  const call = <T = Any>(
    service: 'ControllerService' | 'BrokerService',
    address: string,
    method: string,
    request: object,
  ) => {
    const client = createClient(service, address);
    return new Promise<T>((resolve, reject) =>
      // biome-ignore lint/suspicious/noExplicitAny: generic over the generated client methods
      (client as any)[method](request, (err: Error | null, response: T) => {
        client.close();
        if (err) reject(err);
        else resolve(response);
      }),
    );
  };
  const states = async (topic: string): Promise<PartitionState[]> => {
    const kvs = (await etcd.ns.getAll().prefix(keys.partitionsPrefix(topic)).exec()).kvs;
    const byPartition = kvs.map((kv) => {
      const key = kv.key.toString();
      return [
        Number(key.slice(key.lastIndexOf('/') + 1)),
        parseRecord(key, kv.value, isPartitionState),
      ] as const;
    });
    return byPartition.sort(([a], [b]) => a - b).map(([, s]) => s);
  };
  const metadataOf = (broker: number, topics: string[]) =>
    call('BrokerService', cluster.brokers[broker]!.address, 'metadata', { topics });

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 0, leaseTtlSeconds });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    const controller = cluster.controllers[0]!.address;
    // Seen once in CI: the controller listed fewer than 3 brokers for 15 s after every broker was
    // SERVING. The error says which side (etcd or the controller's view) missed whom, and what the
    // brokers logged about their registration, so a recurrence explains itself.
    await waitFor(
      async () => {
        const listed = (await call('ControllerService', controller, 'describeCluster', {})).brokers.map(
          (b: Any) => b.brokerId,
        );
        if (listed.length === 3) return true;
        const inEtcd = (await etcd.ns.getAll().prefix(keys.brokersPrefix()).keys()).sort();
        const logs = cluster.brokers
          .map(
            (b) =>
              `broker ${b.id}: ${`${b.process?.stdout}\n${b.process?.stderr}`
                .split('\n')
                .filter((l) => /regist|lease/i.test(l))
                .slice(-3)
                .join(' | ')}`,
          )
          .join('; ');
        throw new Error(`controller lists brokers [${listed}], etcd has [${inEtcd}]; ${logs}`);
      },
      { timeoutMs: 15_000, description: 'the controller to list 3 brokers' },
    );
    const created = await call('ControllerService', controller, 'createTopics', {
      topics: [
        { name: 'lead', numPartitions: 9, replicationFactor: 3 },
        { name: 'solo', assignments: [{ partition: 0, brokerIds: [victim] }] },
      ],
      timeoutMs: 5000,
    });
    expect(created.topics.map((t: Any) => `${t.errorCode} ${t.errorMessage}`)).toEqual(['0 ', '0 ']);
    for (const b of [0, 1, 2]) {
      await waitFor(
        async () => (await metadataOf(b, ['lead'])).topics[0].partitions.every((p: Any) => p.leaderId >= 0),
        {
          timeoutMs: 10_000,
        },
      );
    }
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('elects new leaders from the ISR at a higher epoch when a leading broker is killed', async () => {
    const before = await states('lead');
    const led = before.map((s, p) => ({ p, s })).filter(({ s }) => s.leader === victim);
    expect(led.length).toBe(3); // 9 partitions spread over 3 brokers
    const killedAt = Date.now();
    let expiredAt = 0;
    cluster.brokers[victim]!.signal('SIGKILL');
    await cluster.brokers[victim]!.process!.waitForExit();
    const elected = await waitFor(
      async () => {
        if (!expiredAt && !(await etcd.ns.get(keys.brokerKey(victim)).string())) expiredAt = Date.now();
        const now = await states('lead');
        return led.every(({ p }) => now[p]!.leader !== victim && now[p]!.leader >= 0) ? now : undefined;
      },
      { timeoutMs: leaseTtlSeconds * 1000 + 10_000, intervalMs: 20, description: 'new leaders' },
    );
    const electedAt = Date.now();
    // Leader changes are written first; ISR-only changes (partitions the victim merely followed)
    // follow in the next txns.
    const after = await waitFor(
      async () => {
        const now = await states('lead');
        return now.every((s) => !s.isr.includes(victim)) ? now : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20, description: 'the dead broker out of every ISR' },
    );
    for (const { p } of led) expect(after[p]!.leaderEpoch).toBe(elected[p]!.leaderEpoch);
    console.log(
      `new leaders for ${led.length} partitions: ${electedAt - killedAt} ms after kill -9, ` +
        `${expiredAt ? electedAt - expiredAt : '<20'} ms after the lease expired (TTL ${leaseTtlSeconds} s)`,
    );
    for (const { p, s } of led) {
      expect(s.isr).toContain(after[p]!.leader);
      expect(after[p]!.leaderEpoch).toBe(s.leaderEpoch + 1);
    }
    // The dead broker left every ISR, including partitions it only followed (same leader epoch).
    for (const [p, s] of after.entries()) {
      expect(s.isr).not.toContain(victim);
      if (before[p]!.leader !== victim) expect(s.leaderEpoch).toBe(before[p]!.leaderEpoch);
    }
    // RF 1 on the dead broker: offline, keeping its last ISR.
    const [solo] = await states('solo');
    expect(solo).toMatchObject({ leader: -1, leaderEpoch: 1, isr: [victim] });
    // Every live broker's Metadata shows it.
    for (const b of [0, 1]) {
      const md = await waitFor(
        async () => {
          const m = await metadataOf(b, ['lead', 'solo']);
          return led.every(({ p }) => m.topics[0].partitions[p].leaderId === after[p]!.leader)
            ? m
            : undefined;
        },
        { timeoutMs: 5000, description: `broker ${b} metadata` },
      );
      expect(md.brokers.map((x: Any) => x.brokerId)).toEqual([0, 1]);
      expect(md.topics[0].partitions.every((x: Any) => x.offlineReplicas.includes(victim))).toBe(true);
      expect(md.topics[1].partitions[0]).toMatchObject({ leaderId: -1, errorCode: 5 });
    }
  });

  it('leads the offline partition again and gives preferred leadership back when the broker returns', async () => {
    const broker = cluster.brokers[victim]!;
    const restartedAt = Date.now();
    broker.start();
    await broker.waitServing();
    await waitFor(async () => (await states('solo'))[0]!.leader === victim, {
      timeoutMs: 10_000,
      description: 'the RF=1 partition to be led again',
    });
    expect((await states('solo'))[0]).toMatchObject({ leader: victim, leaderEpoch: 2, isr: [victim] });
    // The leaders bring the returning replica back into their ISRs once it has caught up; the
    // controller then moves leadership back to it where it is the preferred replica.
    const preferred = await waitFor(
      async () => {
        const now = await states('lead');
        const record = JSON.parse((await etcd.ns.get(keys.topicKey('lead')).string())!);
        return now.every((s, p) => s.leader === record.replicas[p][0]) ? now : undefined;
      },
      { timeoutMs: 30_000, description: 'preferred leaders back' },
    );
    console.log(`preferred leadership back ${Date.now() - restartedAt} ms after the broker restarted`);
    expect(preferred.filter((s) => s.leader === victim)).toHaveLength(3);
    const answer = await call('ControllerService', cluster.controllers[0]!.address, 'electLeaders', {
      electionType: 1,
      topics: [{ topic: 'lead' }],
    });
    expect(answer.topics[0].partitions.every((p: Any) => p.errorCode === 84)).toBe(true); // ELECTION_NOT_NEEDED
  });
});
