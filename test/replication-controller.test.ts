import { type EtcdConnection, keys } from '@tributary/registry';
import { type LocalCluster, waitFor } from '@tributary/test-kit';
import { Tributary } from '../clients/ts/src/tributary';
import {
  readPartition,
  readState,
  startClusterWithEtcd,
  startContinuousWriter,
  uniqueTopic,
  waitForIsr,
} from './data-plane-helpers';

jest.setTimeout(90_000);

/**
 * The whole path with the real controller: the topic is created with CreateTopics, the producer
 * gets its id from InitProducerId, and after kill -9 of the leader the controller elects the new
 * one when the broker's lease expires; the client follows through metadata alone.
 */
describe('replication with the controller', () => {
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
      controllers: 1,
      coordinators: 0,
      leaseTtlSeconds: 2,
      extraArgs: { broker: ['--replica.lag.time.max.ms', '3000'] },
    }));
  });

  afterAll(async () => {
    await stopCluster?.();
  });

  it('fails over under an acks=all producer without losing, duplicating or reordering acknowledged records', async () => {
    const topic = uniqueTopic('ctl');
    const client = new Tributary({ bootstrap: cluster.bootstrap, requestTimeoutMs: 3000 });
    await client
      .admin()
      .createTopics([
        { name: topic, numPartitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } },
      ]);
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 3, 10_000);
    const producer = client.producer({ lingerMs: 1, retryBackoffMs: 50, maxRetryBackoffMs: 500 });
    await producer.connect();
    expect(producer.producerIdAndEpoch.producerEpoch).toBe(0);

    const writer = startContinuousWriter(producer, topic);
    const { acked, failed } = writer;
    await waitFor(() => acked.length >= 300, { timeoutMs: 20_000, description: '300 acks' });
    const before = await readState(etcd, topic, 0);
    const victim = cluster.brokers[before.leader]!;
    victim.signal('SIGKILL');
    await victim.process!.waitForExit();
    const ackedAtKill = acked.length;
    const after = await waitFor(
      async () => {
        const s = await readState(etcd, topic, 0);
        return s.leader >= 0 && s.leader !== before.leader ? s : undefined;
      },
      { timeoutMs: 20_000, description: 'the controller to elect a new leader' },
    );
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    await waitFor(() => acked.length >= ackedAtKill + 300, {
      timeoutMs: 30_000,
      description: '300 acks after failover',
    });
    await writer.stop();
    await producer.disconnect();
    expect(failed).toEqual([]);

    acked.sort((a, b) => a.offset - b.offset);
    const end = acked.at(-1)!.offset + 1;
    const log = await readPartition(
      cluster.bootstrap.filter((a) => a !== victim.address),
      topic,
      0,
      0,
      end,
    );
    const values = log.map((r) => r.value);
    expect(new Set(values).size).toBe(values.length);
    for (const a of acked) expect(values[a.offset]).toBe(a.value);
    const order = values.map((v) => Number(v!.slice(1)));
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThan(order[i - 1]!);

    // The killed broker returns, catches up and is back in the ISR.
    await waitFor(async () => (await etcd.ns.get(keys.brokerKey(before.leader)).exec()).kvs.length === 0, {
      timeoutMs: 10_000,
    });
    victim.start();
    await victim.waitServing();
    await waitForIsr(etcd, topic, 0, (isr) => isr.includes(before.leader), 30_000);
    await client.close();
  });
});
