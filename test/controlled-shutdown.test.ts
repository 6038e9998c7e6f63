import { Tributary } from '@tributary/client';
import { connectEtcd, type EtcdConnection, isPartitionState, parseRecord } from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { readPartition } from './data-plane-helpers';
import { expectedValues, startLeaderSampler, startPartitionWriters } from './lib/ordered-workload';

/**
 * Issue 12, item 3: controlled shutdown. A rolling restart of all three brokers, one at a time
 * (SIGTERM, start again, wait until every replica is back in sync), under an acks=all idempotent
 * producer to an RF=3, min.insync.replicas=2 topic: no send fails, no partition is offline at
 * any sampled moment, every record is read back exactly once and in order. And an RF=1 broker
 * still stops (its partition goes offline until it is back, as before).
 */
const PARTITIONS = 6;

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe('controlled shutdown', () => {
  let cluster: LocalCluster;
  let client: Tributary;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 0, leaseTtlSeconds: 3 });
    client = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'controlled-shutdown' });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  });

  afterAll(async () => {
    await client?.close();
    etcd?.close();
    await cluster?.stop();
  });

  const states = async (topic: string) => {
    const kvs = await etcd.ns.getAll().prefix(`partitions/${topic}/`).exec();
    return kvs.kvs.map((kv) => parseRecord(kv.key.toString(), kv.value, isPartitionState));
  };

  it('rolls all three brokers under acks=all: no failed send, never offline, every record once and in order', async () => {
    const admin = client.admin();
    const topic = unique('rolling');
    await admin.createTopics([
      {
        name: topic,
        numPartitions: PARTITIONS,
        replicationFactor: 3,
        configs: { 'min.insync.replicas': '2' },
      },
    ]);
    const producer = client.producer({ lingerMs: 2 });

    // The workload: each partition gets "p:0", "p:1", ... in order; every partition's leader is
    // sampled every 50 ms.
    const writers = startPartitionWriters(producer, topic, PARTITIONS);
    const sampler = startLeaderSampler(etcd, topic);

    const allInSync = async () => (await states(topic)).every((s) => s.isr.length === 3);
    await waitFor(() => writers.total() > 200, {
      timeoutMs: 20_000,
      description: 'the producer to get going',
    });
    for (const broker of cluster.brokers) {
      const before = writers.total();
      await broker.stop();
      expect(broker.process!.stdout).toMatch(/controlled shutdown done/);
      broker.start();
      await broker.waitServing();
      await waitFor(allInSync, {
        timeoutMs: 30_000,
        description: `every ISR whole again after broker ${broker.id}`,
      });
      await waitFor(() => writers.total() > before + 100, {
        timeoutMs: 20_000,
        description: 'writes to go on after the restart',
      });
    }
    await writers.stop();
    await sampler.stop();

    expect(writers.failures).toEqual([]);
    expect(sampler.offline).toEqual([]);
    expect(sampler.samples()).toBeGreaterThan(20);
    for (let p = 0; p < PARTITIONS; p++) {
      const acked = writers.acked[p]!;
      const records = await readPartition(cluster.bootstrap, topic, p, 0, acked);
      expect(records.map((r) => r.value)).toEqual(expectedValues(p, acked));
    }
  });

  it('an RF=1 broker stops as before: its partition has no other replica to move to', async () => {
    const admin = client.admin();
    const topic = unique('single');
    await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
    const [state] = await states(topic);
    const broker = cluster.brokers[state!.leader]!;
    await broker.stop();
    // Exit 0: stopped on its own, not killed after the grace period.
    await expect(broker.process!.waitForExit()).resolves.toMatchObject({ code: 0 });
    expect(broker.process!.stdout).toMatch(/"kept":1/);
    broker.start();
    await broker.waitServing();
  });
});
