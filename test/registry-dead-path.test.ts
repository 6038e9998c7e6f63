/**
 * A service whose path to etcd goes dead silently (no reset, no close: a cut link, a blackhole
 * route) loses its lease; once the path heals it must register again, although the connections
 * it had stay dead. Seen in `test:faults` as "not registered in etcd 30 s after healing": the
 * re-registration's first request waited forever on a connection that never answered.
 */
import { connectEtcd, type EtcdConnection, keys } from '@tributary/registry';
import { createLogger, registrationStep } from '@tributary/service-kit';
import { BlackholeProxy, type EtcdServer, startEtcd, waitFor } from '@tributary/test-kit';

describe('registration over a path to etcd that goes dead', () => {
  let etcd: EtcdServer;
  let proxy: BlackholeProxy;
  let service: EtcdConnection;
  let observer: EtcdConnection;
  let registration: ReturnType<typeof registrationStep> | undefined;

  beforeAll(async () => {
    etcd = await startEtcd();
    const target = new URL(etcd.endpoint);
    proxy = await BlackholeProxy.start({ host: target.hostname, port: Number(target.port) });
    service = await connectEtcd({ endpoints: [`http://${proxy.address}`], clusterName: 'dead-path' });
    observer = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: 'dead-path' });
  });
  afterAll(async () => {
    await registration?.stop();
    service?.close();
    observer?.close();
    await proxy?.stop();
    await etcd?.stop();
  });

  it('registers again after the path heals, on a new connection', async () => {
    const key = keys.coordinatorKey('c1');
    let lost = 0;
    registration = registrationStep({
      name: 'registration',
      etcd: () => service,
      key,
      value: () => ({ host: '127.0.0.1', port: 1 }),
      ttlSeconds: 2,
      logger: createLogger({ service: 'test', instance: 'c1', level: 'silent' }),
      inUseMessage: (current) => `held by ${current}`,
      onDuplicate: (reason) => {
        throw new Error(`taken for a duplicate: ${reason}`);
      },
      onLost: () => {
        lost++;
      },
    });
    await registration.start();
    const registered = async () => (await observer.ns.get(key).string()) !== null;
    expect(await registered()).toBe(true);

    proxy.cut();
    // etcd expires the lease (TTL 2 s); the service notices and starts registering again, on
    // the connection it has, which answers nothing.
    await waitFor(async () => !(await registered()), { timeoutMs: 10_000, description: 'lease expired' });
    await waitFor(() => lost === 1, { timeoutMs: 15_000, description: 'loss noticed' });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await registered()).toBe(false);

    proxy.restore();
    const healed = performance.now();
    // Keepalive pings (10 s, 5 s timeout) close the dead connection; the retry goes on a new one.
    await waitFor(registered, { timeoutMs: 30_000, intervalMs: 250, description: 'registered again' });
    const seconds = (performance.now() - healed) / 1000;
    expect(seconds).toBeLessThan(30);
    expect(lost).toBe(1);
    await registration.stop();
    expect(await registered()).toBe(false);
  }, 90_000);
});
