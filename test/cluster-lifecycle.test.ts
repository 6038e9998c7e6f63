import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { connectEtcd, type EtcdConnection, keys } from '@tributary/registry';
import { checkHealth, LocalCluster, ServiceNode, waitFor } from '@tributary/test-kit';

/**
 * Issue 3's acceptance: a whole local cluster of real processes against a real etcd; the
 * registry keys appear, go on SIGTERM at once and on SIGKILL when the lease expires.
 */
describe('local cluster lifecycle', () => {
  const leaseTtlSeconds = 2;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 1, leaseTtlSeconds });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  const exists = async (key: string) => (await etcd.ns.get(key).exec()).kvs.length > 0;

  it('serves health checks and registers every process in etcd', async () => {
    for (const node of cluster.nodes) expect(await checkHealth(node.address)).toBe('SERVING');
    await waitFor(() => exists(keys.controllerKey()), { timeoutMs: 10_000, description: 'controller key' });
    const brokers = await etcd.ns.getAll().prefix(keys.brokersPrefix()).keys();
    expect(brokers.sort()).toEqual(['brokers/0', 'brokers/1', 'brokers/2']);
    const coordinators = await etcd.ns.getAll().prefix(keys.coordinatorsPrefix()).keys();
    expect(coordinators).toEqual([keys.coordinatorKey('coordinator-0')]);
    const broker0 = JSON.parse((await etcd.ns.get(keys.brokerKey(0)).string())!);
    expect(broker0).toMatchObject({ version: 1, id: 0, host: '127.0.0.1', port: cluster.brokers[0]!.port });
  });

  it('lists every service through server reflection', async () => {
    const listed = async (address: string) => {
      const definition = protoLoader.loadSync(
        require.resolve('@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'),
      );
      const loaded = grpc.loadPackageDefinition(definition) as unknown as {
        grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
      };
      const Reflection = loaded.grpc.reflection.v1.ServerReflection;
      const client = new Reflection(address, grpc.credentials.createInsecure());
      const call = client.ServerReflectionInfo();
      const names = await new Promise<string[]>((resolve, reject) => {
        call.on('data', (response: { listServicesResponse?: { service: { name: string }[] } }) => {
          resolve(response.listServicesResponse?.service.map((s) => s.name) ?? []);
          call.end();
        });
        call.on('error', reject);
        call.write({ listServices: '' });
      });
      client.close();
      return names;
    };
    expect(await listed(cluster.brokers[0]!.address)).toEqual(
      expect.arrayContaining([
        'tributary.v1.BrokerService',
        'tributary.v1.ReplicationService',
        'grpc.health.v1.Health',
      ]),
    );
    expect(await listed(cluster.controllers[0]!.address)).toContain('tributary.v1.ControllerService');
    expect(await listed(cluster.coordinators[0]!.address)).toContain('tributary.v1.GroupCoordinatorService');
  });

  it('refuses a second broker with a live id', async () => {
    const original = cluster.brokers[2]!;
    // A data directory of its own: one in use by a live broker is refused before registering.
    const dataDirAt = original.args.indexOf('--data.dir') + 1;
    const duplicate = new ServiceNode(
      'broker',
      'duplicate',
      0,
      original.args.map((a, i) =>
        a === String(original.port) ? '0' : i === dataDirAt ? `${a}-duplicate` : a,
      ),
      false,
    );
    const exit = await duplicate.start().waitForExit();
    expect(exit.code).toBe(1);
    expect(duplicate.process!.stderr).toMatch(/broker id 2 is already registered by a live broker/);
    expect(await checkHealth(original.address)).toBe('SERVING');
  });

  it('removes a broker key at once on SIGTERM, and the broker exits 0', async () => {
    const broker = cluster.brokers[0]!;
    broker.signal('SIGTERM');
    const exit = await broker.process!.waitForExit();
    expect(exit.code).toBe(0);
    expect(await exists(keys.brokerKey(0))).toBe(false);
  });

  it('removes a broker key once its lease expires after SIGKILL', async () => {
    const broker = cluster.brokers[1]!;
    const killedAt = Date.now();
    broker.signal('SIGKILL');
    await broker.process!.waitForExit();
    expect(await exists(keys.brokerKey(1))).toBe(true);
    await waitFor(async () => !(await exists(keys.brokerKey(1))), {
      timeoutMs: leaseTtlSeconds * 1000 + 5000,
      description: 'broker 1 key to expire',
    });
    const goneAfterMs = Date.now() - killedAt;
    expect(goneAfterMs).toBeGreaterThanOrEqual(leaseTtlSeconds * 1000 - 1000);
  });

  it('registers a broker again after it was paused past its lease, without taking itself for a duplicate', async () => {
    const broker = cluster.brokers[2]!;
    broker.signal('SIGSTOP');
    try {
      await waitFor(async () => !(await exists(keys.brokerKey(2))), {
        timeoutMs: leaseTtlSeconds * 1000 + 5000,
        description: 'paused broker 2 key to expire',
      });
    } finally {
      broker.signal('SIGCONT');
    }
    await waitFor(() => exists(keys.brokerKey(2)), {
      timeoutMs: 10_000,
      description: 'broker 2 to register again',
    });
    expect(broker.process!.running).toBe(true);
    expect(await checkHealth(broker.address)).toBe('SERVING');
  });

  it('registers a restarted broker again', async () => {
    const broker = cluster.brokers[1]!;
    broker.start();
    await broker.waitServing();
    expect(await exists(keys.brokerKey(1))).toBe(true);
  });
});
