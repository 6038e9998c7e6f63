import type { EtcdConnection } from '@tributary/registry';
import { type LocalCluster, waitFor } from '@tributary/test-kit';
import { Producer } from '../clients/ts/src/producer/producer';
import {
  brokerRegistrationGone,
  createTopic,
  electLeader,
  readPartition,
  readState,
  startClusterWithEtcd,
  startContinuousWriter,
  uniqueTopic,
  waitForIsr,
} from './data-plane-helpers';

/**
 * Issue 6's replication acceptance: broker processes on a real etcd, driven through the real
 * client. No controller runs: the test plays the controller's election (a guarded etcd txn), so
 * every leader change happens exactly when the test says.
 */
jest.setTimeout(90_000);

describe('replication', () => {
  const lagMs = 1500;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let stopCluster: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({
      cluster,
      etcd,
      stop: stopCluster,
    } = await startClusterWithEtcd({
      brokers: 3,
      controllers: 0,
      coordinators: 0,
      // Longer than any SIGSTOP here, so a paused broker keeps its registration and the test
      // alone decides elections.
      leaseTtlSeconds: 6,
      extraArgs: { broker: ['--replica.lag.time.max.ms', String(lagMs)] },
    }));
  });

  afterAll(async () => {
    await stopCluster?.();
  });

  it('keeps every acknowledged record, once and in order, when the leader is killed mid-stream', async () => {
    const topic = uniqueTopic('failover');
    await createTopic(etcd, topic, [[0, 1, 2]]);
    const producer = new Producer({
      bootstrap: cluster.bootstrap,
      lingerMs: 1,
      retryBackoffMs: 50,
      maxRetryBackoffMs: 300,
    });
    const writer = startContinuousWriter(producer, topic);
    const { acked, failed } = writer;
    await waitFor(() => acked.length >= 500, { timeoutMs: 20_000, description: '500 records acknowledged' });
    const leader = cluster.brokers[0]!;
    leader.signal('SIGKILL');
    await leader.process!.waitForExit();
    const ackedAtKill = acked.length;
    await electLeader(etcd, topic, 0, 1, [1, 2]);
    await waitFor(() => acked.length >= ackedAtKill + 500, {
      timeoutMs: 30_000,
      description: '500 more acks from the new leader',
    });
    await writer.stop();
    await producer.disconnect();
    expect(failed).toEqual([]);

    // Exactly once and in order: offsets are the positions in the log, values appear once.
    acked.sort((a, b) => a.offset - b.offset);
    const end = acked.at(-1)!.offset + 1;
    const log = await readPartition(cluster.bootstrap, topic, 0, 0, end);
    expect(log.map((r) => r.offset)).toEqual(Array.from({ length: end }, (_, i) => i));
    const values = log.map((r) => r.value);
    expect(new Set(values).size).toBe(values.length);
    for (const a of acked) expect(values[a.offset]).toBe(a.value);
    const order = values.map((v) => Number(v!.slice(1)));
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThan(order[i - 1]!);

    // The killed broker comes back as a follower, catches up and rejoins the ISR.
    await brokerRegistrationGone(etcd, 0);
    leader.start();
    await leader.waitServing();
    await waitForIsr(etcd, topic, 0, (isr) => isr.includes(0), 20_000);
  });

  it('drops a stopped follower from the ISR; acks=all then fails with NOT_ENOUGH_REPLICAS while acks=1 succeeds', async () => {
    const topic = uniqueTopic('isr');
    await createTopic(etcd, topic, [[1, 0, 2]], { 'min.insync.replicas': '2' });
    // A stopped broker accepts connections but never answers: bootstrap from the live one.
    const common = { bootstrap: [cluster.brokers[1]!.address], lingerMs: 0, requestTimeoutMs: 2000 };
    const all = new Producer({ ...common, deliveryTimeoutMs: 2000, retryBackoffMs: 50 });
    const one = new Producer({ ...common, acks: 1 });
    try {
      await all.send({ topic, messages: [{ value: 'before' }] });
      const stoppedAt = Date.now();
      cluster.brokers[0]!.signal('SIGSTOP');
      cluster.brokers[2]!.signal('SIGSTOP');
      const state = await waitForIsr(etcd, topic, 0, (isr) => isr.length === 1, lagMs + 10_000);
      expect(state.isr).toEqual([1]);
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(lagMs);
      await expect(all.send({ topic, messages: [{ value: 'needs two replicas' }] })).rejects.toMatchObject({
        errorName: 'NOT_ENOUGH_REPLICAS',
      });
      const [meta] = await one.send({ topic, messages: [{ value: 'leader only' }] });
      expect(meta!.offset).toBe(1);
    } finally {
      cluster.brokers[0]!.signal('SIGCONT');
      cluster.brokers[2]!.signal('SIGCONT');
      await all.disconnect();
      await one.disconnect();
    }
    // Both followers catch up and are expanded back into the ISR; acks=all works again.
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 3, 20_000);
    const again = new Producer({ bootstrap: cluster.bootstrap, lingerMs: 0, requestTimeoutMs: 1000 });
    const [m] = await again.send({ topic, messages: [{ value: 'after' }] });
    await again.disconnect();
    expect(m!.offset).toBe(2);
    expect((await readState(etcd, topic, 0)).leader).toBe(1);
  });
});
