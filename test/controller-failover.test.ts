import { createClient } from '@tributary/proto';
import { connectEtcd, type EtcdConnection, isPartitionState, keys, parseRecord } from '@tributary/registry';
import { LocalCluster, type ServiceNode, waitFor } from '@tributary/test-kit';
import { FencedError, MetadataWriter } from '../services/controller/src/metadata-writer';

/**
 * Issue 5's election acceptance with two controller processes: kill -9 of the active one hands
 * over to the standby (takeover time printed); an active controller paused with SIGSTOP past its
 * lease is replaced, and when it wakes (SIGCONT) its writes are refused and it steps down.
 */
describe('controller failover', () => {
  const leaseTtlSeconds = 2;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  type Any = any;
  const call = <T = Any>(address: string, method: string, request: object): Promise<T> => {
    const client = createClient('ControllerService', address);
    return new Promise<T>((resolve, reject) =>
      // biome-ignore lint/suspicious/noExplicitAny: generic over the generated client methods
      (client as any)[method](request, { deadline: Date.now() + 5000 }, (err: Error | null, response: T) => {
        client.close();
        if (err) reject(err);
        else resolve(response);
      }),
    );
  };
  /** The controller answering DescribeCluster, with its epoch. */
  const activeController = async (): Promise<{ node: ServiceNode; epoch: number } | undefined> => {
    for (const node of cluster.controllers) {
      if (!node.process?.running) continue;
      const answer = await call(node.address, 'describeCluster', {}).catch(() => undefined);
      if (answer) return { node, epoch: Number(answer.controllerEpoch) };
    }
    return undefined;
  };
  const partitionStates = async () => {
    const kvs = (await etcd.ns.getAll().prefix(keys.partitionsPrefix()).exec()).kvs;
    return kvs.map((kv) => ({
      key: kv.key.toString(),
      modRevision: Number(kv.mod_revision),
      state: parseRecord(kv.key.toString(), kv.value, isPartitionState),
    }));
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 2, coordinators: 0, leaseTtlSeconds });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    const active = await waitFor(activeController, {
      timeoutMs: 15_000,
      description: 'an active controller',
    });
    await waitFor(async () => (await call(active.node.address, 'describeCluster', {})).brokers.length === 3, {
      timeoutMs: 15_000,
    });
    const created = await call(active.node.address, 'createTopics', {
      topics: [{ name: 'failover', numPartitions: 6, replicationFactor: 3 }],
      timeoutMs: 5000,
    });
    expect(created.topics[0].errorCode).toBe(0);
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('a standby answers NOT_CONTROLLER naming the active controller', async () => {
    const active = (await activeController())!;
    const standby = cluster.controllers.find((c) => c !== active.node)!;
    const error = await call(standby.address, 'createTopics', { topics: [{ name: 'via-standby' }] }).catch(
      (e) => e,
    );
    expect(error.code).toBe(9); // FAILED_PRECONDITION
    expect(error.metadata.get('tributary-error-code')).toEqual(['41']); // NOT_CONTROLLER
    expect(error.details).toContain(
      `the active controller is ${active.node.id} at 127.0.0.1:${active.node.port}`,
    );
  });

  it('kill -9 of the active controller: the standby takes over', async () => {
    const before = (await activeController())!;
    const killedAt = Date.now();
    before.node.signal('SIGKILL');
    await before.node.process!.waitForExit();
    const after = await waitFor(
      async () => {
        const now = await activeController();
        return now && now.node !== before.node ? now : undefined;
      },
      { timeoutMs: leaseTtlSeconds * 1000 + 10_000, intervalMs: 25, description: 'the standby to take over' },
    );
    const takeoverMs = Date.now() - killedAt;
    console.log(
      `controller takeover after kill -9: ${takeoverMs} ms (lease TTL ${leaseTtlSeconds} s; epoch ${before.epoch} -> ${after.epoch})`,
    );
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(takeoverMs).toBeLessThan(leaseTtlSeconds * 1000 + 5000);
    // The new controller serves admin requests.
    const described = await call(after.node.address, 'describeTopics', { names: ['failover'] });
    expect(described.topics[0].partitions).toHaveLength(6);
    // The killed one comes back as a standby.
    before.node.start();
    await before.node.waitServing();
    const again = await call(before.node.address, 'describeCluster', {}).catch((e) => e);
    expect(again.metadata.get('tributary-error-code')).toEqual(['41']);
  });

  it('an active controller paused past its lease cannot write when it wakes, and steps down', async () => {
    const old = (await activeController())!;
    const other = cluster.controllers.find((c) => c !== old.node)!;
    old.node.signal('SIGSTOP');
    try {
      const replacement = await waitFor(
        async () => {
          const raw = await etcd.ns.get(keys.controllerKey()).exec();
          const kv = raw.kvs[0];
          return kv && Number(kv.create_revision) !== old.epoch ? Number(kv.create_revision) : undefined;
        },
        { timeoutMs: leaseTtlSeconds * 1000 + 10_000, description: 'a new controller epoch' },
      );
      await waitFor(() => call(other.address, 'describeCluster', {}).then(() => true), {
        timeoutMs: 10_000,
        description: 'the other controller to be active',
      });
      // The new controller decides something while the old one sleeps: partitions of a new topic.
      const created = await call(other.address, 'createTopics', {
        topics: [{ name: 'after-handover', numPartitions: 3, replicationFactor: 2 }],
      });
      expect(created.topics[0].errorCode).toBe(0);
      old.node.signal('SIGCONT');
      // First thing on waking: a write through the old controller. Whether it has noticed its
      // lease is gone or tries the txn and finds the epoch fenced, it must refuse.
      const refused = await call(old.node.address, 'createTopics', {
        topics: [{ name: 'from-the-past', numPartitions: 3, replicationFactor: 3 }],
      }).catch((e) => e);
      expect(refused.metadata?.get('tributary-error-code')).toEqual(['41']);
      expect(refused.details).toMatch(new RegExp(`the active controller is ${other.id}`));
      const path = old.node.process!.stdout.includes('write fenced: stepping down')
        ? 'its txn failed the epoch compare'
        : 'it noticed the lost lease first';
      console.log(
        `paused controller (epoch ${old.epoch}) woke and stepped down: ${path}; new epoch ${replacement}`,
      );
      expect(await etcd.ns.get(keys.topicKey('from-the-past')).string()).toBeNull();
      // It stays a standby, and nothing was written under its epoch after the handover.
      await waitFor(
        async () =>
          (await call(old.node.address, 'describeCluster', {}).catch((e) => e)).metadata?.get(
            'tributary-error-code',
          )?.[0] === '41',
        { timeoutMs: 5000, description: 'the old controller to answer NOT_CONTROLLER' },
      );
      const states = await partitionStates();
      expect(
        states
          .filter((s) => s.key.includes('after-handover'))
          .every((s) => s.state.controllerEpoch === replacement),
      ).toBe(true);
      const stale = states.filter(
        (s) => s.modRevision > replacement && s.state.controllerEpoch === old.epoch,
      );
      expect(stale).toEqual([]);
    } finally {
      old.node.signal('SIGCONT');
    }
  });

  it('a txn under an old epoch is refused by etcd itself and reported as fenced', async () => {
    const current = (await activeController())!;
    const [first] = await partitionStates();
    const stale = new MetadataWriter(etcd.ns, current.epoch - 1);
    const attempt = stale.commit(
      [{ key: first!.key, target: 'Mod', revision: first!.modRevision }],
      [{ kind: 'put', key: first!.key, value: JSON.stringify({ ...first!.state, leader: -1 }) }],
    );
    await expect(attempt).rejects.toThrow(FencedError);
    await expect(attempt).rejects.toThrow(
      `controller epoch ${current.epoch - 1} is over: controller epoch ${current.epoch} has been elected`,
    );
    expect((await partitionStates()).find((s) => s.key === first!.key)!.modRevision).toBe(first!.modRevision);
    // The same write under the current epoch passes the guard (and is undone by nobody: it
    // rewrites the state unchanged).
    const fresh = new MetadataWriter(etcd.ns, current.epoch);
    const ok = await fresh.commit(
      [{ key: first!.key, target: 'Mod', revision: first!.modRevision }],
      [{ kind: 'put', key: first!.key, value: JSON.stringify(first!.state) }],
    );
    expect(ok.succeeded).toBe(true);
  });
});
