import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Consumer, Tributary } from '@tributary/client';
import {
  connectEtcd,
  type EtcdConnection,
  isControllerRegistration,
  isPartitionState,
  isTopicRecord,
  keys,
  type PartitionState,
  parseRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { readPartition } from './data-plane-helpers';
import { expectedValues, startLeaderSampler, startPartitionWriters } from './lib/ordered-workload';
import { tributary } from './lib/run-cli';

/**
 * Issue 12, item 4: partition reassignment (KIP-455) and broker decommission, with real
 * processes: a move onto a fourth broker and off an old one under an acks=all idempotent
 * producer and a consumer; a decommission through the CLI (generate, execute, verify); a
 * controller failover in the middle of a (throttled) move; and bad input that changes nothing.
 */
let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe('partition reassignment', () => {
  let cluster: LocalCluster;
  let client: Tributary;
  let etcd: EtcdConnection;
  let tmp: string;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 3,
      controllers: 2,
      coordinators: 0,
      leaseTtlSeconds: 3,
      metrics: true,
    });
    client = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'reassignment-test' });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    tmp = mkdtempSync(join(tmpdir(), 'tributary-reassign-'));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    etcd?.close();
    await cluster?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const states = async (topic: string): Promise<PartitionState[]> => {
    const kvs = await etcd.ns.getAll().prefix(keys.partitionsPrefix(topic)).exec();
    return kvs.kvs
      .map((kv) => [kv.key.toString(), parseRecord(kv.key.toString(), kv.value, isPartitionState)] as const)
      .sort(([a], [b]) => Number(a.split('/').pop()) - Number(b.split('/').pop()))
      .map(([, s]) => s);
  };
  const record = async (topic: string): Promise<TopicRecord> => {
    const kv = (await etcd.ns.get(keys.topicKey(topic)).exec()).kvs[0]!;
    return parseRecord(keys.topicKey(topic), kv.value, isTopicRecord);
  };
  const raw = async (topic: string) =>
    (await etcd.ns.getAll().prefix(`topics/${topic}`).strings()) as Record<string, string>;
  const rawPartitions = async (topic: string) =>
    (await etcd.ns.getAll().prefix(keys.partitionsPrefix(topic)).strings()) as Record<string, string>;
  const partitionDirs = (broker: number, topic: string) => {
    const dir = join(cluster.dataRoot, `broker-${broker}`);
    return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith(`${topic}-`)) : [];
  };
  const bootstrap = () => ['--bootstrap', cluster.bootstrap.join(',')];
  /** An RF=2 topic of one partition holding `records` records of 1 kB, and a broker it is not on. */
  const onePartitionTopic = async (prefix: string, records: number) => {
    const topic = unique(prefix);
    await client.admin().createTopics([{ name: topic, numPartitions: 1, replicationFactor: 2 }]);
    const producer = client.producer();
    const value = 'x'.repeat(1000);
    for (let sent = 0; sent < records; sent += 100) {
      await producer.send({ topic, messages: Array.from({ length: 100 }, () => ({ partition: 0, value })) });
    }
    const replicas = (await record(topic)).replicas[0]!;
    return { topic, replicas, spare: [0, 1, 2, 3].find((b) => !replicas.includes(b))! };
  };

  it('bad input (unknown topic or partition, unknown broker, duplicates, empty list) gets a clear per-partition error and changes nothing', async () => {
    const admin = client.admin();
    const topic = unique('bad');
    await admin.createTopics([{ name: topic, numPartitions: 2, replicationFactor: 2 }]);
    const before = { topic: await raw(topic), partitions: await rawPartitions(topic) };
    const outcomes = await admin.alterPartitionReassignments([
      { topic: unique('nosuch'), partition: 0, replicas: [0, 1] },
      { topic, partition: 7, replicas: [0, 1] },
      { topic, partition: 0, replicas: [0, 42] },
      { topic, partition: 1, replicas: [1, 2, 1] },
      { topic, partition: 0, replicas: [] },
    ]);
    const errors = outcomes.map((o) => o.error && `${o.error.errorName}: ${o.error.message}`);
    expect(errors[0]).toMatch(/^UNKNOWN_TOPIC_OR_PARTITION: Topic .* does not exist/);
    expect(errors[1]).toMatch(/^UNKNOWN_TOPIC_OR_PARTITION: Topic .* has no partition 7 \(partitions: 0-1\)/);
    expect(errors[2]).toMatch(
      /^INVALID_REPLICA_ASSIGNMENT: Broker 42 is not registered \(registered brokers: 0, 1, 2/,
    );
    expect(errors[3]).toMatch(/^INVALID_REPLICA_ASSIGNMENT: Broker 1 appears more than once/);
    // The same partition twice in one request: the second is refused, the first was refused too.
    expect(errors[4]).toMatch(/^INVALID_REQUEST: Partition .*-0 appears more than once/);
    const empty = await admin.alterPartitionReassignments([{ topic, partition: 0, replicas: [] }]);
    expect(empty[0]!.error?.message).toMatch(/The target replica list is empty/);
    const cancel = await admin.alterPartitionReassignments([{ topic, partition: 1, replicas: null }]);
    expect(cancel[0]!.error?.errorName).toBe('NO_REASSIGNMENT_IN_PROGRESS');
    expect({ topic: await raw(topic), partitions: await rawPartitions(topic) }).toEqual(before);
    expect(await admin.listPartitionReassignments()).toEqual([]);

    // The CLI says the same per partition and exits 1; a malformed plan is a usage error (2).
    const plan = join(tmp, 'bad.json');
    writeFileSync(
      plan,
      JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [0, 0] }] }),
    );
    const cli = await tributary(['partitions', 'reassign', '--execute', '--plan', plan, ...bootstrap()]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/-0: INVALID_REPLICA_ASSIGNMENT: Broker 0 appears more than once/);
    writeFileSync(plan, '{"version":1,"partitions":[{"topic":"x"}]}');
    const malformed = await tributary([
      'partitions',
      'reassign',
      '--execute',
      '--plan',
      plan,
      ...bootstrap(),
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/partitions\[0\]\.partition must be an integer/);
    expect({ topic: await raw(topic), partitions: await rawPartitions(topic) }).toEqual(before);
  }, 60_000);

  it('moves an RF=3 topic onto a new broker and off an old one under acks=all writes and a reader: nothing lost or duplicated, in order, never offline, old data deleted', async () => {
    const admin = client.admin();
    const topic = unique('move');
    const PARTITIONS = 4;
    await admin.createTopics([
      {
        name: topic,
        numPartitions: PARTITIONS,
        replicationFactor: 3,
        configs: { 'min.insync.replicas': '2' },
      },
    ]);
    const added = await cluster.addBroker();
    expect(added.id).toBe('3');
    const producer = client.producer({ lingerMs: 2 });

    const writers = startPartitionWriters(producer, topic, PARTITIONS);
    const { acked } = writers;

    // A reader, assigned every partition from offset 0, while the move happens.
    const read: string[][] = Array.from({ length: PARTITIONS }, () => []);
    const reader: Consumer<Buffer, Buffer> = client.consumer();
    await reader.assign(
      Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition, offset: 0 })),
    );
    let reading = true;
    const readLoop = (async () => {
      for await (const m of reader) {
        read[m.partition]!.push(m.value?.toString() ?? '');
        if (!reading && read.every((r, p) => r.length >= acked[p]!)) break;
      }
    })();

    const sampler = startLeaderSampler(etcd, topic);

    const total = writers.total;
    await waitFor(() => total() > 1000, { timeoutMs: 30_000, description: 'some data before the move' });
    // Broker 0 leaves, broker 3 takes its place (first when 0 was first: leadership moves too).
    const before = await record(topic);
    const targets = before.replicas.map((r) => r.map((b) => (b === 0 ? 3 : b)));
    const t0 = Date.now();
    const outcomes = await admin.alterPartitionReassignments(
      targets.map((replicas, partition) => ({ topic, partition, replicas })),
      { throttleBytesPerSec: 4 << 20 },
    );
    expect(outcomes.filter((o) => o.error)).toEqual([]);
    const during = await record(topic);
    expect(during.replicas.map((r) => [...r].sort())).toEqual(targets.map(() => [0, 1, 2, 3]));
    const listed = await admin.listPartitionReassignments([topic]);
    for (const l of listed) {
      expect(l.adding).toEqual([3]);
      expect(l.removing).toEqual([0]);
      expect(l.throttleBytesPerSec).toBe(4 << 20);
    }
    await waitFor(async () => (await admin.listPartitionReassignments([topic])).length === 0, {
      timeoutMs: 60_000,
      description: 'the reassignment to complete',
    });
    const moveMs = Date.now() - t0;
    const after = await record(topic);
    expect(after.replicas).toEqual(targets);
    const final = await states(topic);
    final.forEach((s, p) => {
      expect(s.leader).toBe(targets[p]![0]);
      expect(s.isr.every((b) => targets[p]!.includes(b))).toBe(true);
      expect(s.reassignment).toBeUndefined();
    });
    await waitFor(() => partitionDirs(0, topic).length === 0, {
      timeoutMs: 20_000,
      description: "broker 0 to delete its copy of the topic's partitions",
    });
    expect(partitionDirs(3, topic).length).toBe(PARTITIONS);
    const progress = total();
    await waitFor(() => total() > progress + 200, {
      timeoutMs: 20_000,
      description: 'writes to go on after the move',
    });

    await writers.stop();
    reading = false;
    await waitFor(() => read.every((r, p) => r.length >= acked[p]!), {
      timeoutMs: 30_000,
      description: 'the reader to reach every acknowledged record',
    });
    await sampler.stop();
    await reader.disconnect();
    await readLoop;

    expect(writers.failures).toEqual([]);
    expect(sampler.offline).toEqual([]);
    expect(sampler.samples()).toBeGreaterThan(10);
    for (let p = 0; p < PARTITIONS; p++) {
      const expected = expectedValues(p, acked[p]!);
      expect(read[p]).toEqual(expected); // the reader saw each acknowledged record once, in order
      // Read back from the new replica set: the whole log, once each, in order.
      const back = await readPartition(cluster.bootstrap, topic, p, 0, acked[p]!);
      expect(back.map((r) => r.value)).toEqual(expected);
    }
    console.log(
      `moved ${PARTITIONS} partitions in ${moveMs} ms under ${total()} acknowledged writes, ${sampler.samples()} samples`,
    );
  }, 180_000);

  it('decommissions a broker with the CLI (generate, execute, verify): no partition keeps a replica on it', async () => {
    const admin = client.admin();
    const topics = [unique('decom-a'), unique('decom-b')];
    await admin.createTopics(topics.map((name) => ({ name, numPartitions: 4, replicationFactor: 2 })));
    const producer = client.producer();
    for (const topic of topics) {
      await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: `v${i}` })) });
    }
    const generate = await tributary([
      'partitions',
      'reassign',
      '--generate',
      '--decommission',
      '1',
      ...bootstrap(),
    ]);
    expect(generate.code).toBe(0);
    expect(generate.stderr).toMatch(/Current replica assignment \(save it to roll back\)/);
    const plan = join(tmp, 'decommission.json');
    writeFileSync(plan, generate.stdout);
    const planned = JSON.parse(generate.stdout) as { partitions: { topic: string; replicas: number[] }[] };
    expect(planned.partitions.length).toBeGreaterThan(0);
    for (const p of planned.partitions) expect(p.replicas).not.toContain(1);

    const execute = await tributary(['partitions', 'reassign', '--execute', '--plan', plan, ...bootstrap()]);
    expect(execute.stderr).toBe('');
    expect(execute.code).toBe(0);
    expect(execute.stdout).toMatch(/Started the reassignment of (\d+) of \1 partition/);
    let verify = await tributary(['partitions', 'reassign', '--verify', '--plan', plan, ...bootstrap()]);
    await waitFor(
      async () => {
        verify = await tributary(['partitions', 'reassign', '--verify', '--plan', plan, ...bootstrap()]);
        return verify.stdout.includes('are reassigned');
      },
      { timeoutMs: 60_000, description: '--verify to say every partition is done' },
    );
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/is complete\./);
    expect(verify.stdout).toMatch(/No throttle remains/);
    for (const topic of await admin.listTopics()) {
      const r = await record(topic);
      for (const replicas of r.replicas) expect(replicas).not.toContain(1);
      for (const s of await states(topic)) expect(s.isr).not.toContain(1);
    }
    await waitFor(() => topics.every((t) => partitionDirs(1, t).length === 0), {
      timeoutMs: 20_000,
      description: 'broker 1 to delete its data',
    });
    for (const topic of topics) {
      for (let p = 0; p < 4; p++) {
        const end = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === p)!.latest;
        expect((await readPartition(cluster.bootstrap, topic, p, 0, end)).length).toBe(end);
      }
    }
  }, 120_000);

  it('a controller failover in the middle of a throttled move: the new controller completes it', async () => {
    const admin = client.admin();
    const { topic, replicas: current, spare } = await onePartitionTopic('failover', 600);
    const target = [spare, current[1]!];
    // ~600 kB at 100 kB/s: the move takes several seconds, the failover happens inside them.
    const [outcome] = await admin.alterPartitionReassignments([{ topic, partition: 0, replicas: target }], {
      throttleBytesPerSec: 100_000,
    });
    expect(outcome!.error).toBeUndefined();
    const controllerKv = (await etcd.ns.get(keys.controllerKey()).exec()).kvs[0]!;
    const active = parseRecord(keys.controllerKey(), controllerKv.value, isControllerRegistration);
    const oldEpoch = Number(controllerKv.create_revision);
    const node = cluster.controllers.find((c) => c.id === active.id)!;
    node.signal('SIGKILL');
    expect((await states(topic))[0]!.reassignment).toBeDefined();
    await waitFor(
      async () => {
        const kv = (await etcd.ns.get(keys.controllerKey()).exec()).kvs[0];
        return kv !== undefined && Number(kv.create_revision) !== oldEpoch;
      },
      { timeoutMs: 20_000, description: 'the standby controller to take over' },
    );
    await waitFor(async () => (await states(topic))[0]!.reassignment === undefined, {
      timeoutMs: 60_000,
      description: 'the new controller to complete the move',
    });
    const standby = cluster.controllers.find((c) => c !== node)!;
    // Its log line follows the write (it waits for its own view first).
    await waitFor(() => /reassignment completed/.test(standby.process!.stdout), {
      timeoutMs: 10_000,
      description: 'the new controller to log the completion',
    });
    const [state] = await states(topic);
    expect((await record(topic)).replicas[0]).toEqual(target);
    expect(state!.leader).toBe(spare);
    const end = (await admin.fetchTopicOffsets(topic))[0]!.latest;
    expect(end).toBe(600);
    expect((await readPartition(cluster.bootstrap, topic, 0, 0, end)).length).toBe(600);
    node.start();
    await node.waitServing();
  }, 120_000);

  it('a cancelled move returns the partition to its original replicas, in order, and the adding replica deletes its copy', async () => {
    const admin = client.admin();
    const { topic, replicas: original, spare } = await onePartitionTopic('cancel', 500);
    const plan = join(tmp, 'cancel.json');
    writeFileSync(
      plan,
      JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [spare, original[0]] }] }),
    );
    // 500 kB at 20 kB/s: still moving when the cancel comes.
    const execute = await tributary([
      'partitions',
      'reassign',
      '--execute',
      '--plan',
      plan,
      '--throttle',
      '20000',
      ...bootstrap(),
    ]);
    expect(execute.code).toBe(0);
    await waitFor(() => partitionDirs(spare, topic).length === 1, {
      timeoutMs: 10_000,
      description: `broker ${spare} to create its replica`,
    });
    const verify = await tributary(['partitions', 'reassign', '--verify', '--plan', plan, ...bootstrap()]);
    expect(verify.stdout).toMatch(
      new RegExp(`is still in progress: adding \\[${spare}\\], removing \\[${original[1]}\\]`),
    );
    // The active controller counts it.
    const activeId = parseRecord(
      keys.controllerKey(),
      (await etcd.ns.get(keys.controllerKey()).exec()).kvs[0]!.value,
      isControllerRegistration,
    ).id;
    const active = cluster.controllers.find((c) => c.id === activeId)!;
    const metrics = await (await fetch(`http://127.0.0.1:${active.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^tributary_controller_reassigning_partitions({[^}]*})? 1$/m);
    const cancel = await tributary(['partitions', 'reassign', '--cancel', '--plan', plan, ...bootstrap()]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/Cancelled the reassignment of 1 of 1 partition/);
    expect((await record(topic)).replicas[0]).toEqual(original);
    const [state] = await states(topic);
    expect(state!.reassignment).toBeUndefined();
    expect(original).toContain(state!.leader);
    expect(state!.isr.every((b) => original.includes(b))).toBe(true);
    await waitFor(() => partitionDirs(spare, topic).length === 0, {
      timeoutMs: 20_000,
      description: `broker ${spare} to delete the copy it was adding`,
    });
    expect(await admin.listPartitionReassignments([topic])).toEqual([]);
    expect((await readPartition(cluster.bootstrap, topic, 0, 0, 500)).length).toBe(500);
  }, 60_000);
});
