import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEtcd, type EtcdConnection, keys } from '@tributary/registry';
import {
  checkHealth,
  freePort,
  LocalCluster,
  ManagedProcess,
  repoRoot,
  ServiceNode,
  waitFor,
} from '@tributary/test-kit';

/**
 * Issue 12, item 1: a service restarted at once after it died without revoking its lease (kill -9,
 * or etcd stopped before the revoke) waits out its own stale registration instead of refusing to
 * start; a true duplicate is still refused; and `npm run dev`, Ctrl-C, `npm run dev` works.
 */
describe('restart at once', () => {
  // Long enough that a restarted process finds its old key still there: node starts in 1-2 s, but
  // 5-6 s on a busy 2-core machine (seen at load 30 with a TTL of 6 s, when the old lease had
  // expired before the coordinator came to register).
  const leaseTtlSeconds = 12;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 1, controllers: 1, coordinators: 1, leaseTtlSeconds });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  const exists = async (key: string) => (await etcd.ns.get(key).exec()).kvs.length > 0;

  it('a broker killed with -9 and started again at once revokes its old lease and serves', async () => {
    // Its data directory proves the former run dead (issue 13, data-dir-owner.ts): no waiting.
    const broker = cluster.brokers[0]!;
    broker.signal('SIGKILL');
    await broker.process!.waitForExit();
    expect(await exists(keys.brokerKey(0))).toBe(true);
    const restartedAt = Date.now();
    broker.start();
    await broker.waitServing(leaseTtlSeconds * 1000 + 10_000);
    expect(Date.now() - restartedAt).toBeLessThan(leaseTtlSeconds * 1000 + 8000);
    // It revoked the old lease (`revoked its lease`) unless that had already expired while the
    // process booted on a busy machine; either way it never waits (broker-restart-state.test.ts
    // checks the revocation with a lease too long to expire meanwhile).
    expect(broker.process!.stdout).not.toMatch(/waiting for its lease to expire/);
    const registered = JSON.parse((await etcd.ns.get(keys.brokerKey(0)).string())!);
    expect(registered).toMatchObject({ id: 0, port: broker.port });
  });

  it('a coordinator killed with -9 and started again at once waits out its old lease and serves', async () => {
    const coordinator = cluster.coordinators[0]!;
    coordinator.signal('SIGKILL');
    await coordinator.process!.waitForExit();
    expect(await exists(keys.coordinatorKey('coordinator-0'))).toBe(true);
    coordinator.start();
    await coordinator.waitServing(leaseTtlSeconds * 1000 + 10_000);
    expect(coordinator.process!.stdout).toMatch(/waiting for its lease to expire/);
  });

  it('still refuses a live duplicate at another address, for brokers and coordinators, at once', async () => {
    for (const original of [cluster.brokers[0]!, cluster.coordinators[0]!]) {
      // A data directory of its own: the same one is refused before registering (issue 13).
      const dataDirAt = original.args.indexOf('--data.dir') + 1;
      const duplicate = new ServiceNode(
        original.kind,
        'duplicate',
        0,
        original.args.map((a, i) =>
          a === String(original.port) ? '0' : dataDirAt > 0 && i === dataDirAt ? `${a}-duplicate` : a,
        ),
        false,
      );
      const startedAt = Date.now();
      const exit = await duplicate.start().waitForExit();
      expect(exit.code).toBe(1);
      expect(duplicate.process!.stderr).toMatch(/is already registered by a live (broker|coordinator)/);
      // Another address: no waiting for a lease that its live holder keeps alive.
      expect(Date.now() - startedAt).toBeLessThan(leaseTtlSeconds * 1000 + 3000);
      expect(await checkHealth(original.address)).toBe('SERVING');
    }
  });

  it('a clean stop removes the registration at once', async () => {
    const broker = cluster.brokers[0]!;
    await broker.stop();
    expect(broker.process!.running).toBe(false);
    expect(await exists(keys.brokerKey(0))).toBe(false);
    broker.start();
    await broker.waitServing();
    expect(broker.process!.stdout).not.toMatch(/waiting for its lease to expire/);
  });
});

describe('npm run dev, Ctrl-C, npm run dev', () => {
  let dataDir: string;
  let dev: ManagedProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-dev-restart-'));
  });

  afterAll(async () => {
    if (dev?.running) process.kill(-dev.pid, 'SIGINT');
    await dev?.waitForExit();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts again at once after Ctrl-C, twice in a row', async () => {
    // Every port its own, the Kafka listeners' too: a developer's `npm run dev` may hold the defaults.
    const ports = await Promise.all(Array.from({ length: 10 }, () => freePort()));
    const args = [
      join(repoRoot, 'scripts', 'dev-cluster.mjs'),
      '--broker-ports',
      ports.slice(0, 3).join(','),
      '--controller-port',
      String(ports[3]),
      '--coordinator-port',
      String(ports[4]),
      '--etcd-port',
      String(ports[5]),
      '--etcd-peer-port',
      String(ports[6]),
      '--kafka-ports',
      ports.slice(7, 10).join(','),
      '--data-dir',
      dataDir,
    ];
    for (let run = 0; run < 2; run++) {
      // A process group of its own, like a shell's foreground job: Ctrl-C is SIGINT to the group.
      dev = new ManagedProcess(`dev-${run}`, process.execPath, args, { ownProcessGroup: true });
      const current = dev;
      await waitFor(
        () => {
          if (!current.running) throw new Error(`npm run dev exited: ${current.stderr.slice(-2000)}`);
          return /ready in/.test(current.stdout);
        },
        { timeoutMs: 60_000, intervalMs: 100, description: `dev cluster run ${run} to be ready` },
      );
      process.kill(-current.pid, 'SIGINT');
      const exit = await current.waitForExit();
      expect({ run, code: exit.code, stderr: current.stderr.slice(-1000) }).toEqual({
        run,
        code: 0,
        stderr: '',
      });
    }
  });
});
