import type { EtcdConnection } from '@tributary/registry';
import { checkHealth, type LocalCluster, waitFor } from '@tributary/test-kit';
import { Tributary } from '../clients/ts/src/tributary';
import { REPLICAS_CAUGHT_UP } from '../services/broker/src/cluster/replica-readiness';
import {
  brokerRegistrationGone,
  readState,
  startClusterWithEtcd,
  uniqueTopic,
  waitForIsr,
} from './data-plane-helpers';

jest.setTimeout(90_000);

/**
 * The broker's readiness health check (what the Helm chart's readiness probe asks): a restarted
 * broker that is out of the ISR reports NOT_SERVING for `replicas-caught-up` while the process
 * itself is SERVING, and SERVING only once it is back in the ISR of every partition it replicates.
 */
describe('broker readiness: replicas caught up', () => {
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
    }));
  });

  afterAll(async () => {
    await stopCluster?.();
  });

  const caughtUp = (broker: number) => checkHealth(cluster.brokers[broker]!.address, REPLICAS_CAUGHT_UP);

  it('is SERVING only once a restarted broker is back in every ISR', async () => {
    const topic = uniqueTopic('ready');
    const client = new Tributary({ bootstrap: cluster.bootstrap, requestTimeoutMs: 3000 });
    await client.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3 }]);
    for (const p of [0, 1, 2]) await waitForIsr(etcd, topic, p, (isr) => isr.length === 3, 10_000);
    for (const b of [0, 1, 2]) {
      await waitFor(async () => (await caughtUp(b)) === 'SERVING', {
        timeoutMs: 10_000,
        description: `broker ${b} ready`,
      });
    }

    const victim = cluster.brokers[2]!;
    victim.signal('SIGKILL');
    await victim.process!.waitForExit();
    await brokerRegistrationGone(etcd, 2);
    for (const p of [0, 1, 2]) await waitForIsr(etcd, topic, p, (isr) => !isr.includes(2), 20_000);
    const producer = client.producer({ lingerMs: 1 });
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({
        topic,
        messages: Array.from({ length: 50 }, (_, n) => ({ value: `v${i}-${n}` })),
      });
    }
    await producer.disconnect();

    victim.start();
    await victim.waitServing();
    await waitFor(async () => (await caughtUp(2)) === 'SERVING', {
      timeoutMs: 30_000,
      description: 'broker 2 caught up',
    });
    // Ready implies in sync: every partition's ISR has broker 2 back.
    for (const p of [0, 1, 2]) expect((await readState(etcd, topic, p)).isr).toContain(2);
    // It started out of every ISR, so it said so before it said it was in sync.
    const log = victim.process!.stdout;
    const behind = log.indexOf('replicas catching up');
    expect(behind).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('every replica is in sync', behind)).toBeGreaterThan(behind);
    await client.close();
  });
});
