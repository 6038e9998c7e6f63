import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@tributary/proto';
import {
  connectEtcd,
  type EtcdConnection,
  keys,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';

/**
 * Issue 5's admin acceptance: invalid input gets a precise error and writes nothing to etcd;
 * CreateTopics / DescribeTopics / DescribeConfigs / AlterConfigs / CreatePartitions / DeleteTopics
 * round trips against real processes; a deleted topic's partition directories vanish from every
 * broker; a controller restarted over half-done work finishes it.
 */
describe('controller topic administration', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let controller: ReturnType<typeof createClient<'ControllerService'>>;
  const brokers: ReturnType<typeof createClient<'BrokerService'>>[] = [];

  // biome-ignore lint/suspicious/noExplicitAny: generic over the generated client methods
  const call = <T>(client: any, method: string, request: object): Promise<T> =>
    new Promise((resolve, reject) =>
      client[method](request, (err: Error | null, response: T) => (err ? reject(err) : resolve(response))),
    );
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  type Any = any;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 0, leaseTtlSeconds: 2 });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    controller = createClient('ControllerService', cluster.controllers[0]!.address);
    for (const b of cluster.brokers) brokers.push(createClient('BrokerService', b.address));
    await waitFor(async () => (await call<Any>(controller, 'describeCluster', {})).brokers.length === 3, {
      timeoutMs: 15_000,
      description: 'the controller to see 3 brokers',
    });
  });

  afterAll(async () => {
    controller?.close();
    for (const b of brokers) b.close();
    etcd?.close();
    await cluster?.stop();
  });

  const revision = async () => Number((await etcd.ns.get(keys.controllerKey()).exec()).header.revision);
  const dirsOf = (broker: number, topic: string) =>
    readdirSync(join(cluster.dataRoot, `broker-${broker}`)).filter((d) => d.startsWith(`${topic}-`));
  const keysUnder = async (prefix: string) => etcd.ns.getAll().prefix(prefix).keys();

  it('refuses illegal names, impossible counts and bad configs, writing nothing', async () => {
    const before = await revision();
    const response = await call<Any>(controller, 'createTopics', {
      topics: [
        { name: '', numPartitions: 1 },
        { name: '.', numPartitions: 1 },
        { name: '..', numPartitions: 1 },
        { name: 'x'.repeat(250), numPartitions: 1 },
        { name: 'has space', numPartitions: 1 },
        { name: 'slash/x', numPartitions: 1 },
        { name: 'rf-too-big', numPartitions: 1, replicationFactor: 4 },
        { name: 'negative', numPartitions: -1 },
        { name: 'unknown-config', configs: { 'no.such.setting': '1' } },
        { name: 'bad-long', configs: { 'retention.ms': 'a week' } },
        { name: 'bad-min-isr', configs: { 'min.insync.replicas': '0' } },
        { name: 'bad-bool', configs: { 'unclean.leader.election.enable': 'maybe' } },
        { name: 'bad-assignment', assignments: [{ partition: 0, brokerIds: [0, 0] }] },
        { name: 'dup', numPartitions: 1 },
        { name: 'dup', numPartitions: 1 },
      ],
      validateOnly: false,
    });
    const byName = (name: string, index = 0) => response.topics.filter((t: Any) => t.name === name)[index];
    for (const name of ['', '.', '..', 'x'.repeat(250), 'has space', 'slash/x']) {
      expect(byName(name)).toMatchObject({ errorCode: 17, numPartitions: -1 }); // INVALID_TOPIC
    }
    expect(byName('has space').errorMessage).toMatch(/illegal characters \(" "\)/);
    expect(byName('x'.repeat(250)).errorMessage).toMatch(/over the limit of 249/);
    expect(byName('rf-too-big')).toMatchObject({ errorCode: 38 }); // INVALID_REPLICATION_FACTOR
    expect(byName('rf-too-big').errorMessage).toBe(
      'Replication factor 4 is larger than the number of live brokers (3: 0, 1, 2)',
    );
    expect(byName('negative')).toMatchObject({ errorCode: 37 }); // INVALID_PARTITIONS
    expect(byName('unknown-config')).toMatchObject({ errorCode: 40 }); // INVALID_CONFIG
    expect(byName('unknown-config').errorMessage).toMatch(/no\.such\.setting: unknown/);
    expect(byName('bad-long').errorMessage).toMatch(/retention\.ms: "a week" is not an integer/);
    expect(byName('bad-min-isr').errorMessage).toMatch(/min\.insync\.replicas/);
    expect(byName('bad-bool').errorMessage).toMatch(
      /unclean\.leader\.election\.enable: "maybe" must be true or false/,
    );
    expect(byName('bad-assignment')).toMatchObject({ errorCode: 39 }); // INVALID_REPLICA_ASSIGNMENT
    expect(byName('dup', 0)).toMatchObject({ errorCode: 0 });
    expect(byName('dup', 1)).toMatchObject({ errorCode: 42 }); // INVALID_REQUEST
    // Only the valid "dup" was written; validate_only writes nothing at all.
    await call(controller, 'deleteTopics', { names: ['dup'] });
    await waitFor(async () => (await keysUnder(keys.topicsPrefix())).length === 0, { timeoutMs: 10_000 });
    const mark = await revision();
    const dry = await call<Any>(controller, 'createTopics', {
      topics: [{ name: 'dry', numPartitions: 3, replicationFactor: 3 }],
      validateOnly: true,
    });
    expect(dry.topics[0]).toMatchObject({
      errorCode: 0,
      numPartitions: 3,
      replicationFactor: 3,
      topicId: '',
    });
    const bad = await call<Any>(controller, 'createTopics', {
      topics: [{ name: 'bad name' }, { name: 'x', replicationFactor: 9 }],
    });
    expect(bad.topics.map((t: Any) => t.errorCode)).toEqual([17, 38]);
    expect(await revision()).toBe(mark);
    expect(before).toBeLessThan(mark);
    expect(await keysUnder(keys.partitionsPrefix())).toEqual([]);
  });

  it('creates, describes, alters, grows and deletes a topic', async () => {
    const created = await call<Any>(controller, 'createTopics', {
      topics: [
        { name: 'orders', numPartitions: 4, replicationFactor: 2, configs: { 'retention.ms': '60000' } },
      ],
      timeoutMs: 5000,
    });
    expect(created.topics[0]).toMatchObject({
      name: 'orders',
      errorCode: 0,
      numPartitions: 4,
      replicationFactor: 2,
    });
    expect(created.topics[0].topicId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await call<Any>(controller, 'createTopics', {
      topics: [{ name: 'orders', numPartitions: 1 }],
    });
    expect(again.topics[0]).toMatchObject({ errorCode: 36 }); // TOPIC_ALREADY_EXISTS

    const described = (
      await call<Any>(controller, 'describeTopics', { names: ['orders', 'missing', 'bad name'] })
    ).topics;
    expect(described[0]).toMatchObject({
      name: 'orders',
      topicId: created.topics[0].topicId,
      configs: { 'retention.ms': '60000' },
    });
    expect(described[0].partitions).toHaveLength(4);
    for (const p of described[0].partitions) {
      expect(p.replicas).toHaveLength(2);
      expect(p.leaderId).toBe(p.replicas[0]);
      expect(p.leaderEpoch).toBe('0');
      expect([...p.isr].sort()).toEqual([...p.replicas].sort());
    }
    // Leaders spread: 4 partitions over 3 brokers, no broker leads more than 2.
    const leaders = described[0].partitions.map((p: Any) => p.leaderId);
    for (const b of [0, 1, 2]) expect(leaders.filter((l: number) => l === b).length).toBeLessThanOrEqual(2);
    expect(described[1]).toMatchObject({ name: 'missing', errorCode: 3 });
    expect(described[2]).toMatchObject({ name: 'bad name', errorCode: 17 });

    const configs = async (names: string[] = []) =>
      (
        await call<Any>(controller, 'describeConfigs', {
          resources: [{ type: 1, name: 'orders', configNames: names }],
        })
      ).results[0];
    const retention = await configs(['retention.ms', 'segment.ms']);
    expect(retention.entries).toEqual([
      expect.objectContaining({ name: 'retention.ms', value: '60000', source: 3 }),
      expect.objectContaining({ name: 'segment.ms', value: '604800000', source: 1 }),
    ]);
    expect((await configs()).entries.map((e: Any) => e.name)).toContain('unclean.leader.election.enable');

    const alter = (configsToChange: object[], validateOnly = false) =>
      call<Any>(controller, 'alterConfigs', {
        resources: [{ type: 1, name: 'orders', configs: configsToChange }],
        validateOnly,
      });
    expect((await alter([{ name: 'retention.ms', op: 1, value: 'soon' }])).results[0]).toMatchObject({
      errorCode: 40,
    });
    expect((await alter([{ name: 'nope', op: 1, value: '1' }])).results[0]).toMatchObject({ errorCode: 40 });
    expect((await alter([{ name: 'segment.ms', op: 1, value: '1000' }], true)).results[0]).toMatchObject({
      errorCode: 0,
    });
    expect((await configs(['segment.ms'])).entries[0].value).toBe('604800000');
    const ok = await alter([
      { name: 'segment.ms', op: 1, value: '3600000' },
      { name: 'retention.ms', op: 2 },
    ]);
    expect(ok.results[0]).toMatchObject({ errorCode: 0 });
    const after = await configs(['retention.ms', 'segment.ms']);
    expect(after.entries).toEqual([
      expect.objectContaining({ name: 'retention.ms', value: '604800000', source: 1 }),
      expect.objectContaining({ name: 'segment.ms', value: '3600000', source: 3 }),
    ]);
    const broker = await call<Any>(controller, 'alterConfigs', {
      resources: [{ type: 2, name: '0', configs: [] }],
    });
    expect(broker.results[0]).toMatchObject({ errorCode: 42 });

    const shrink = await call<Any>(controller, 'createPartitions', {
      topics: [{ name: 'orders', count: 3 }],
    });
    expect(shrink.topics[0]).toMatchObject({ errorCode: 37 });
    expect(shrink.topics[0].errorMessage).toMatch(/has 4 partitions; the count can only grow/);
    const grow = await call<Any>(controller, 'createPartitions', {
      topics: [
        { name: 'orders', count: 6 },
        { name: 'zz', count: 2 },
      ],
    });
    expect(grow.topics.map((t: Any) => t.errorCode)).toEqual([0, 3]);

    // Every broker's Metadata shows the 6 partitions; every replica has its directory.
    for (const client of brokers) {
      await waitFor(
        async () => {
          const md = await call<Any>(client, 'metadata', { topics: ['orders'] });
          return (
            md.topics[0].partitions.length === 6 && md.topics[0].partitions.every((p: Any) => p.leaderId >= 0)
          );
        },
        { timeoutMs: 10_000, description: 'metadata with 6 partitions' },
      );
    }
    const md = await call<Any>(brokers[0], 'metadata', { topics: ['orders', 'ghost'] });
    expect(md.controller).toMatchObject({ controllerId: 0, port: cluster.controllers[0]!.port });
    expect(md.brokers.map((b: Any) => b.brokerId)).toEqual([0, 1, 2]);
    expect(md.topics[1]).toMatchObject({ name: 'ghost', errorCode: 3 });
    await waitFor(
      () =>
        [0, 1, 2].every((b) => {
          const expected = md.topics[0].partitions.filter((p: Any) => p.replicas.includes(b)).length;
          return dirsOf(b, 'orders').length === expected;
        }),
      { timeoutMs: 10_000, description: 'partition directories on every replica' },
    );

    const preferred = await call<Any>(controller, 'electLeaders', {
      electionType: 1,
      topics: [{ topic: 'orders' }],
    });
    expect(preferred.topics[0].partitions.every((p: Any) => p.errorCode === 84)).toBe(true); // ELECTION_NOT_NEEDED

    const deleted = await call<Any>(controller, 'deleteTopics', { names: ['orders', 'orders-missing'] });
    expect(deleted.topics[0]).toMatchObject({ errorCode: 0, topicId: created.topics[0].topicId });
    expect(deleted.topics[1]).toMatchObject({ errorCode: 3 });
    await waitFor(async () => (await keysUnder(keys.topicKey('orders'))).length === 0, {
      timeoutMs: 15_000,
      description: 'the topic keys to go',
    });
    expect(await keysUnder(keys.partitionsPrefix('orders'))).toEqual([]);
    expect(await keysUnder(keys.topicDeletionsPrefix('orders'))).toEqual([]);
    for (const b of [0, 1, 2]) expect(dirsOf(b, 'orders')).toEqual([]);
    const gone = await call<Any>(controller, 'describeTopics', { names: ['orders'] });
    expect(gone.topics[0]).toMatchObject({ errorCode: 3 });
  });

  it('writes a topic larger than one txn in batches and leaves no creating marker', async () => {
    const response = await call<Any>(controller, 'createTopics', {
      topics: [{ name: 'wide', numPartitions: 400, replicationFactor: 1 }],
      timeoutMs: 10_000,
    });
    expect(response.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 400 });
    expect(await keysUnder(keys.partitionsPrefix('wide'))).toHaveLength(400);
    const record = JSON.parse((await etcd.ns.get(keys.topicKey('wide')).string())!) as TopicRecord;
    expect(record.creating).toBeUndefined();
  });

  it('hands out unique producer ids and fences older transactional instances', async () => {
    const ids = await Promise.all(
      Array.from({ length: 5 }, () => call<Any>(controller, 'initProducerId', {})),
    );
    expect(new Set(ids.map((r) => r.producerId)).size).toBe(5);
    const first = await call<Any>(controller, 'initProducerId', { transactionalId: 'tx-1' });
    const second = await call<Any>(controller, 'initProducerId', { transactionalId: 'tx-1' });
    expect(second).toEqual({
      producerId: first.producerId,
      producerEpoch: String(Number(first.producerEpoch) + 1),
    });
    const stale = await call<Any>(controller, 'initProducerId', {
      transactionalId: 'tx-1',
      current: first,
    }).catch((e) => e);
    expect(stale.code).toBe(9); // FAILED_PRECONDITION
    expect(stale.metadata.get('tributary-error-code')).toEqual(['47']); // INVALID_PRODUCER_EPOCH
    const bumped = await call<Any>(controller, 'initProducerId', { current: ids[0] });
    expect(bumped).toEqual({ producerId: ids[0].producerId, producerEpoch: '1' });
  });

  it('deletes without waiting for a dead broker, which removes its leftovers when it returns', async () => {
    const created = await call<Any>(controller, 'createTopics', {
      topics: [{ name: 'ghost', numPartitions: 3, replicationFactor: 3 }],
      timeoutMs: 5000,
    });
    expect(created.topics[0].errorCode).toBe(0);
    await waitFor(() => [0, 1, 2].every((b) => dirsOf(b, 'ghost').length === 3), {
      timeoutMs: 10_000,
      description: 'ghost directories on every broker',
    });
    const broker = cluster.brokers[1]!;
    broker.signal('SIGKILL');
    await broker.process!.waitForExit();
    expect((await call<Any>(controller, 'deleteTopics', { names: ['ghost'] })).topics[0].errorCode).toBe(0);
    await waitFor(async () => (await keysUnder(keys.topicKey('ghost'))).length === 0, {
      timeoutMs: 15_000,
      description: 'ghost keys to go once broker 1 is known dead',
    });
    expect(dirsOf(0, 'ghost')).toEqual([]);
    expect(dirsOf(2, 'ghost')).toEqual([]);
    expect(dirsOf(1, 'ghost')).toHaveLength(3);
    broker.start();
    await broker.waitServing();
    await waitFor(() => dirsOf(1, 'ghost').length === 0, {
      timeoutMs: 10_000,
      description: 'broker 1 to delete the leftovers of the deleted topic',
    });
  });

  it('a restarted controller finishes a half-created topic and a half-deleted one', async () => {
    const node = cluster.controllers[0]!;
    node.signal('SIGKILL');
    await node.process!.waitForExit();
    await waitFor(async () => (await keysUnder(keys.controllerKey())).length === 0, { timeoutMs: 10_000 });
    // What a controller that crashed mid-way leaves: a topic record marked `creating` with only
    // some partition keys, and a topic marked `deleting` whose data brokers have removed.
    const half: TopicRecord = {
      version: 1,
      name: 'half',
      topicId: '00000000-0000-4000-8000-000000000001',
      replicas: [[0], [1], [2], [0]],
      configs: {},
      createdAt: Date.now(),
      creating: true,
    };
    await etcd.ns.put(keys.topicKey('half')).value(serializeRecord(half));
    await etcd.ns.put(keys.partitionStateKey('half', 0)).value(
      serializeRecord({
        version: 1,
        leader: 0,
        leaderEpoch: 0,
        isr: [0],
        controllerEpoch: 1,
        partitionEpoch: 0,
      }),
    );
    const wide = JSON.parse((await etcd.ns.get(keys.topicKey('wide')).string())!) as TopicRecord;
    await etcd.ns.put(keys.topicKey('wide')).value(serializeRecord({ ...wide, deleting: true }));
    node.start();
    await node.waitServing();
    await waitFor(async () => (await keysUnder(keys.partitionsPrefix('half'))).length === 4, {
      timeoutMs: 15_000,
      description: 'the missing partitions of "half"',
    });
    await waitFor(async () => !JSON.parse((await etcd.ns.get(keys.topicKey('half')).string())!).creating, {
      timeoutMs: 5000,
      description: 'the creating marker to go',
    });
    await waitFor(async () => (await keysUnder(keys.topicKey('wide'))).length === 0, {
      timeoutMs: 15_000,
      description: '"wide" to be deleted',
    });
    expect(await keysUnder(keys.partitionsPrefix('wide'))).toEqual([]);
    for (const b of [0, 1, 2]) expect(dirsOf(b, 'wide')).toEqual([]);
    await waitFor(() => [0, 1, 2].every((b) => dirsOf(b, 'half').length === (b === 0 ? 2 : 1)), {
      timeoutMs: 10_000,
      description: 'directories of "half"',
    });
    expect(existsSync(join(cluster.dataRoot, 'broker-0', 'half-3'))).toBe(true);
  });
});
