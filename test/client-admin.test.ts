import { Tributary, TributaryError } from '@tributary/client';
import { LocalCluster, waitFor } from '@tributary/test-kit';

/**
 * Issue 8: the admin client against real processes, including a controller failover: calls
 * follow NOT_CONTROLLER (and a dead controller) to the newly active one through Metadata.
 */
jest.setTimeout(90_000);

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe('admin client', () => {
  let cluster: LocalCluster;
  let client: Tributary;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 2, controllers: 2, coordinators: 1, leaseTtlSeconds: 2 });
    client = new Tributary({ bootstrap: cluster.bootstrap, retry: { retries: 8, maxRetryTimeMs: 1000 } });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('creates, describes, alters and deletes topics; reports configs and the cluster', async () => {
    const admin = client.admin();
    const topic = unique('admin');
    await admin.createTopics([
      { name: topic, numPartitions: 2, replicationFactor: 2, configs: { 'retention.ms': '60000' } },
    ]);
    await expect(admin.createTopics([{ name: topic }])).rejects.toMatchObject({
      errorName: 'TOPIC_ALREADY_EXISTS',
      retriable: false,
    });
    await expect(admin.createTopics([{ name: 'bad name!' }])).rejects.toMatchObject({
      errorName: 'INVALID_TOPIC',
    });
    expect(await admin.listTopics()).toContain(topic);

    const [info] = await admin.describeTopics([topic]);
    expect(info!.partitions.map((p) => p.replicas.length)).toEqual([2, 2]);
    expect(info!.configs).toMatchObject({ 'retention.ms': '60000' });

    await admin.alterConfigs([{ topic, set: { 'retention.ms': '120000' } }]);
    const [configs] = await admin.describeConfigs([
      { type: 'topic', name: topic, configNames: ['retention.ms'] },
    ]);
    expect(configs!.entries).toEqual([
      expect.objectContaining({ name: 'retention.ms', value: '120000', source: 'topic' }),
    ]);

    await admin.createPartitions([{ topic, count: 3 }]);
    await waitFor(async () => (await admin.fetchTopicOffsets(topic)).length === 3, {
      timeoutMs: 10_000,
      description: 'the third partition to be led',
    });

    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.id).sort()).toEqual([0, 1]);
    expect(described.coordinators).toHaveLength(1);
    expect(described.controller).toBeDefined();

    await admin.deleteTopics([topic]);
    await expect(admin.describeTopics([topic])).rejects.toBeInstanceOf(TributaryError);
  });

  it('follows the active controller after the old one dies', async () => {
    const admin = client.admin();
    const before = await admin.describeCluster();
    const active =
      cluster.controllers.find((c) => c.id === `controller-${before.controller!.id}`) ??
      cluster.controllers[0]!;
    active.signal('SIGKILL');
    const topic = unique('failover');
    // The client still holds the dead controller's address; the call must end up at the new one.
    const [created] = await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
    expect(created!.name).toBe(topic);
    const after = await admin.describeCluster();
    expect(after.controller!.port).not.toBe(before.controller!.port);
    expect(after.controllerEpoch).toBeGreaterThan(before.controllerEpoch);
  });
});
