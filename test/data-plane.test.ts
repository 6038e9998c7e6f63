import { connectEtcd, type EtcdConnection } from '@tributary/registry';
import { LocalCluster } from '@tributary/test-kit';
import { Producer } from '../clients/ts/src/producer/producer';
import { createTopic, readPartition, uniqueTopic, waitForIsr } from './data-plane-helpers';

/**
 * Issue 6: produce and fetch through the real client against three broker processes and a real
 * etcd (no controller: topics and leaders are written to etcd by the test).
 */
jest.setTimeout(90_000);

describe('data plane', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 3,
      controllers: 0,
      coordinators: 0,
      leaseTtlSeconds: 2,
      extraArgs: { broker: ['--replica.lag.time.max.ms', '2000'] },
    });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('produces with acks=all to RF=3 and reads every record back in order', async () => {
    const topic = uniqueTopic('rf3');
    await createTopic(etcd, topic, [
      [0, 1, 2],
      [1, 2, 0],
    ]);
    const producer = new Producer({ bootstrap: cluster.bootstrap, lingerMs: 2 });
    const sends = [];
    for (let i = 0; i < 200; i++)
      sends.push(producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}`, partition: i % 2 }] }));
    const metas = (await Promise.all(sends)).flat();
    await producer.disconnect();
    const p0 = metas.filter((m) => m.partition === 0).map((m) => m.offset);
    expect(p0).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const records = await readPartition(cluster.bootstrap, topic, 0, 0, 100);
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: 100 }, (_, i) => `v${i * 2}`));
    await waitForIsr(etcd, topic, 0, (isr) => isr.length === 3, 5000);
  });
});
