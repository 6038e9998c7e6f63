import type { EtcdConnection } from '@tributary/registry';
import { type LocalCluster, waitFor } from '@tributary/test-kit';
import { Producer } from '../clients/ts/src/producer/producer';
import {
  brokerRegistrationGone,
  createTopic,
  electLeader,
  readPartition,
  startClusterWithEtcd,
  uniqueTopic,
  waitForIsr,
} from './data-plane-helpers';

jest.setTimeout(90_000);

/**
 * Issue 6: divergent logs are truncated (KIP-101/279), and retried produce requests with
 * idempotence never duplicate. A long replica.lag.time.max.ms keeps briefly paused followers in
 * the ISR, so the test alone decides who is in sync.
 */
describe('replication: divergence and retries', () => {
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
      // Longer than the SIGSTOP pauses here, so a paused broker keeps its registration and the
      // test alone decides elections.
      leaseTtlSeconds: 6,
      extraArgs: { broker: ['--replica.lag.time.max.ms', '60000'] },
    }));
  });

  afterAll(async () => {
    await stopCluster?.();
  });

  it('truncates acks=1 records an old leader never replicated once a new leader is elected', async () => {
    const topic = uniqueTopic('diverge');
    await createTopic(etcd, topic, [[0, 1, 2]]);
    const [b0, b1, b2] = cluster.brokers as [
      (typeof cluster.brokers)[0],
      (typeof cluster.brokers)[0],
      (typeof cluster.brokers)[0],
    ];
    const committed = new Producer({ bootstrap: [b0.address], lingerMs: 0 });
    await committed.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `c${i}` })) });
    await committed.disconnect();

    // The followers die (so no fetch of theirs can be in flight); the leader alone takes acks=1
    // records, then dies too. The long replica.lag.time.max.ms keeps the ISR at [0, 1, 2].
    b1.signal('SIGKILL');
    b2.signal('SIGKILL');
    await Promise.all([b1.process!.waitForExit(), b2.process!.waitForExit()]);
    const lonely = new Producer({ bootstrap: [b0.address], lingerMs: 0, acks: 1 });
    const metas = await lonely.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ value: `lost${i}` })),
    });
    expect(metas.map((m) => m.offset)).toEqual([10, 11, 12, 13, 14]);
    await lonely.disconnect();
    b0.signal('SIGKILL');
    await b0.process!.waitForExit();

    // The followers come back; broker 1 is elected from the ISR and takes new records at the
    // offsets the lost ones had.
    await Promise.all([brokerRegistrationGone(etcd, 1), brokerRegistrationGone(etcd, 2)]);
    b1.start();
    b2.start();
    await Promise.all([b1.waitServing(), b2.waitServing()]);
    await electLeader(etcd, topic, 0, 1, [1, 2]);
    const fresh = new Producer({ bootstrap: [b1.address], lingerMs: 0 });
    await fresh.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `new${i}` })) });
    await fresh.disconnect();

    // The old leader restarts as a follower, truncates its divergent suffix and catches up.
    await brokerRegistrationGone(etcd, 0);
    b0.start();
    await b0.waitServing();
    await waitForIsr(etcd, topic, 0, (isr) => isr.includes(0), 20_000);

    // Led by the formerly divergent replica, the partition holds exactly the committed history.
    await electLeader(etcd, topic, 0, 0, [0, 1, 2]);
    const log = await readPartition([b0.address], topic, 0, 0, 15);
    expect(log.map((r) => r.value)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `c${i}`),
      ...Array.from({ length: 5 }, (_, i) => `new${i}`),
    ]);
    expect(b0.process!.stdout).toMatch(
      /truncated divergent log suffix.*"from":15,"to":10|"from":15.*"to":10.*truncated divergent log suffix/,
    );
  });

  it('retries produce requests whose acks were lost without duplicating (idempotence)', async () => {
    const topic = uniqueTopic('retry');
    await createTopic(etcd, topic, [[1, 0, 2]]);
    const run = async (idempotent: boolean, tag: string) => {
      const producer = new Producer({
        bootstrap: [cluster.brokers[1]!.address],
        lingerMs: 0,
        idempotent,
        ackTimeoutMs: 200,
        retryBackoffMs: 50,
        maxRetryBackoffMs: 100,
      });
      await producer.send({ topic, messages: [{ value: `${tag}-warmup` }] });
      // The followers pause: the leader appends every batch but cannot commit it, so each
      // attempt times out after the append and is retried.
      cluster.brokers[0]!.signal('SIGSTOP');
      cluster.brokers[2]!.signal('SIGSTOP');
      const sends = Array.from({ length: 5 }, (_, i) =>
        producer.send({ topic, messages: [{ value: `${tag}-${i}` }] }),
      );
      await waitFor(() => producer.retries >= 10, { timeoutMs: 20_000, description: 'forced retries' });
      cluster.brokers[0]!.signal('SIGCONT');
      cluster.brokers[2]!.signal('SIGCONT');
      const metas = (await Promise.all(sends)).flat();
      await producer.disconnect();
      return { metas, retries: producer.retries };
    };
    const idem = await run(true, 'idem');
    expect(idem.retries).toBeGreaterThanOrEqual(10);
    const end = idem.metas.at(-1)!.offset + 1;
    const log = await readPartition([cluster.brokers[1]!.address], topic, 0, 0, end);
    expect(log.map((r) => r.value)).toEqual([
      'idem-warmup',
      'idem-0',
      'idem-1',
      'idem-2',
      'idem-3',
      'idem-4',
    ]);
    expect(idem.metas.map((m) => log[m.offset]!.value)).toEqual([
      'idem-0',
      'idem-1',
      'idem-2',
      'idem-3',
      'idem-4',
    ]);

    // The same faults without idempotence do duplicate: the scenario really re-sends appended batches.
    const plain = await run(false, 'plain');
    const all = await readPartition(
      [cluster.brokers[1]!.address],
      topic,
      0,
      end,
      plain.metas.at(-1)!.offset + 1,
    );
    const values = all.map((r) => r.value);
    expect(values.length).toBeGreaterThan(new Set(values).size);
  });
});
