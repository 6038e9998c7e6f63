import { randomUUID } from 'node:crypto';
import { fromGrpcError } from '@tributary/errors';
import { createClient, type GroupCoordinatorServiceClient, GroupState } from '@tributary/proto';
import {
  connectEtcd,
  type EtcdConnection,
  keys,
  type PartitionState,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { TestGroupMember } from './lib/group-member';

/**
 * Issue 7: committed offsets (fencing, coalescing), group administration and static membership
 * and processing timeouts over real streams. One broker serves ListOffsets for lag and resets.
 */
jest.setTimeout(60_000);

describe('consumer groups: offsets and administration', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let coordinators: string[];
  let admin: GroupCoordinatorServiceClient;

  /** A topic led by broker 0 (record and partition states written straight into etcd). */
  const createTopic = async (name: string, partitions: number) => {
    const record: TopicRecord = {
      version: 1,
      name,
      topicId: randomUUID(),
      replicas: Array.from({ length: partitions }, () => [0]),
      configs: {},
      createdAt: Date.now(),
    };
    await etcd.ns.put(keys.topicKey(name)).value(serializeRecord(record)).exec();
    for (let p = 0; p < partitions; p++) {
      const state: PartitionState = {
        version: 1,
        leader: 0,
        leaderEpoch: 0,
        isr: [0],
        controllerEpoch: 1,
        partitionEpoch: 0,
      };
      await etcd.ns.put(keys.partitionStateKey(name, p)).value(serializeRecord(state)).exec();
    }
  };

  /** Appends `count` records with timestamps `t0, t0 + 1000, ...` to a partition through broker 0. */
  const produce = async (topic: string, partition: number, count: number, t0: number) => {
    const broker = createClient('BrokerService', cluster.brokers[0]!.address);
    const records = Array.from({ length: count }, (_, i) => ({
      value: Buffer.from(`r${i}`),
      timestampMs: t0 + i * 1000,
    }));
    await waitFor(
      () =>
        new Promise<boolean>((resolve) =>
          broker.produce(
            { acks: -1, topics: [{ topic, partitions: [{ partition, records: { records } }] }] },
            { deadline: Date.now() + 5000 },
            (err, res) => resolve(!err && res!.topics[0]!.partitions[0]!.errorCode === 0),
          ),
        ),
      { timeoutMs: 15_000, description: `produce to ${topic}/${partition}` },
    );
    broker.close();
  };

  const call = <T>(method: string, request: object): Promise<T> =>
    new Promise((resolve, reject) =>
      (
        admin as unknown as Record<
          string,
          (r: object, o: object, cb: (e: Error | null, r: T) => void) => void
        >
      )[method]!.call(admin, request, { deadline: Date.now() + 10_000 }, (err, res) =>
        err ? reject(fromGrpcError(err)) : resolve(res),
      ),
    );

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 1,
      controllers: 0,
      coordinators: 1,
      leaseTtlSeconds: 2,
      extraArgs: { 'group-coordinator': ['--group.initial.rebalance.delay.ms', '200'] },
    });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    coordinators = cluster.coordinators.map((c) => c.address);
    admin = createClient('GroupCoordinatorService', coordinators[0]!);
  });

  afterAll(async () => {
    admin?.close();
    etcd?.close();
    await cluster?.stop();
  });

  it('commits are fenced by ownership and generation, coalesced into few etcd writes, and fetched back', async () => {
    await createTopic('ledger', 4);
    const options = { coordinators, groupId: 'ledger-readers', topics: ['ledger'] };
    const a = new TestGroupMember(options);
    await a.start();
    expect((await a.fetchOffsets()).get('ledger/0')).toBe(-1);

    const b = new TestGroupMember(options);
    await b.start();
    await waitFor(() => a.owned.size === 2 && b.owned.size === 2 && a.generation === b.generation, {
      timeoutMs: 10_000,
      description: 'two members with two partitions each',
    });
    const staleGeneration = a.generation - 1;

    // 50 concurrent commits from both members: acknowledged after a handful of etcd txns.
    const before = Number((await etcd.ns.get('x').exec()).header.revision);
    const commits = Array.from({ length: 50 }, (_, i) => {
      const m = i % 2 === 0 ? a : b;
      return m.commit(Object.fromEntries([...m.owned].map((p) => [p, 100 + i])));
    });
    const responses = await Promise.all(commits);
    const after = Number((await etcd.ns.get('x').exec()).header.revision);
    expect(responses.every((r) => r.topics.every((t) => t.partitions.every((p) => p.errorCode === 0)))).toBe(
      true,
    );
    console.log(
      `50 concurrent commits acknowledged after ${after - before} etcd revisions (one per coalesced txn)`,
    );
    expect(after - before).toBeLessThan(25);

    const committed = await a.fetchOffsets();
    for (const offset of committed.values()) expect(offset).toBeGreaterThanOrEqual(100);
    const stored = JSON.parse(
      (await etcd.ns.get(keys.groupOffsetKey('ledger-readers', 'ledger', 0)).string())!,
    );
    expect(stored).toMatchObject({ version: 1, offset: committed.get('ledger/0'), generation: a.generation });

    // A partition the member does not own: refused per partition.
    const foreign = [...b.owned][0]!;
    const refused = await a.commit({ [foreign]: 5 });
    expect(refused.topics[0]!.partitions[0]!.errorCode).toBe(22); // ILLEGAL_GENERATION
    // A member one generation behind: REBALANCE_IN_PROGRESS (retriable), the whole request.
    await expect(a.commit({ [[...a.owned][0]!]: 7 }, { generation: staleGeneration })).rejects.toMatchObject({
      errorName: 'REBALANCE_IN_PROGRESS',
    });
    // A standalone consumer (generation -1) while the group has members: NON_EMPTY_GROUP.
    await expect(a.commit({ 'ledger/0': 1 }, { generation: -1, memberId: '' })).rejects.toMatchObject({
      errorName: 'NON_EMPTY_GROUP',
    });

    // A member removed by the coordinator commits with its old id and generation: ILLEGAL_GENERATION.
    const zombieId = b.memberId;
    const zombieGeneration = b.generation;
    b.destroy();
    await waitFor(() => a.owned.size === 4, { timeoutMs: 10_000, description: 'a to own all 4' });
    await expect(
      a.commit({ 'ledger/0': 1 }, { memberId: zombieId, generation: zombieGeneration }),
    ).rejects.toMatchObject({ errorName: 'ILLEGAL_GENERATION' });

    await a.leave();
    const standalone = await a.commit({ 'ledger/3': 9 }, { generation: -1, memberId: '' });
    expect(standalone.topics[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('resets an empty group’s offsets (explicit, shift, earliest, latest, timestamp) using the brokers’ offsets', async () => {
    await createTopic('audit', 2);
    const t0 = Date.now() - 100_000;
    await produce('audit', 0, 10, t0);
    await produce('audit', 1, 5, t0);
    const group = 'auditors';
    const alter = (reset: object, extra: object = {}) =>
      call<{
        partitions: { partition: number; errorCode: number; previousOffset: string; newOffset: string }[];
      }>('alterGroupOffsets', { groupId: group, topic: 'audit', ...reset, ...extra });
    const newOffsets = (r: Awaited<ReturnType<typeof alter>>) => r.partitions.map((p) => Number(p.newOffset));

    expect(newOffsets(await alter({ toOffset: 3 }))).toEqual([3, 3]);
    expect(newOffsets(await alter({ toOffset: 7 }))).toEqual([7, 5]); // clamped to the high watermark
    expect(newOffsets(await alter({ shiftBy: -2 }))).toEqual([5, 3]);
    expect(newOffsets(await alter({ toEarliest: true }))).toEqual([0, 0]);
    expect(newOffsets(await alter({ toLatest: true }))).toEqual([10, 5]);
    expect(newOffsets(await alter({ toTimestampMs: t0 + 2500 }))).toEqual([3, 3]);
    expect(newOffsets(await alter({ toTimestampMs: t0 + 1_000_000 }))).toEqual([10, 5]);
    const dry = await alter({ toOffset: 1 }, { dryRun: true });
    expect(newOffsets(dry)).toEqual([1, 1]);
    const member = new TestGroupMember({ coordinators, groupId: group, topics: ['audit'] });
    expect(await member.fetchOffsets()).toEqual(
      new Map([
        ['audit/0', 10],
        ['audit/1', 5],
      ]),
    );

    await member.start();
    await expect(alter({ toOffset: 0 })).rejects.toMatchObject({ errorName: 'NON_EMPTY_GROUP' });
    await expect(alter({})).rejects.toMatchObject({ errorName: 'INVALID_REQUEST' });
    await expect(
      call('alterGroupOffsets', { groupId: group, topic: 'no-such-topic', toOffset: 1 }),
    ).rejects.toMatchObject({ errorName: 'UNKNOWN_TOPIC_OR_PARTITION' });

    // DescribeGroups: members, assignments, committed offsets, log end offsets and lag.
    await member.commit({ 'audit/0': 4 });
    const described = await call<{ groups: Record<string, unknown>[] }>('describeGroups', {
      groupIds: [group, 'nobody'],
    });
    const [g, missing] = described.groups as [Record<string, never>, Record<string, never>];
    expect(g).toMatchObject({
      groupId: group,
      errorCode: 0,
      state: GroupState.GROUP_STATE_STABLE,
      assignor: 'cooperative-sticky',
    });
    expect(g['members']).toEqual([
      expect.objectContaining({
        memberId: member.memberId,
        host: '127.0.0.1',
        subscribedTopics: ['audit'],
        assignment: [{ topic: 'audit', partitions: [0, 1] }],
      }),
    ]);
    const partitions = (
      g['partitions'] as { partition: number; committedOffset: string; logEndOffset: string; lag: string }[]
    ).map((p) => [p.partition, Number(p.committedOffset), Number(p.logEndOffset), Number(p.lag)]);
    expect(partitions).toEqual([
      [0, 4, 10, 6],
      [1, 5, 5, 0],
    ]);
    expect(missing).toMatchObject({ errorCode: 69 }); // GROUP_ID_NOT_FOUND

    const listed = await call<{ groups: { groupId: string; state: number; memberCount: number }[] }>(
      'listGroups',
      {},
    );
    expect(listed.groups).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ groupId: group, state: GroupState.GROUP_STATE_STABLE, memberCount: 1 }),
      ]),
    );

    // DeleteGroups: refused while the group has members, then removes every key.
    const refused = await call<{ results: { errorCode: number }[] }>('deleteGroups', { groupIds: [group] });
    expect(refused.results[0]!.errorCode).toBe(68); // NON_EMPTY_GROUP
    await member.leave();
    const deleted = await call<{ results: { errorCode: number }[] }>('deleteGroups', {
      groupIds: [group, 'nobody'],
    });
    expect(deleted.results.map((r) => r.errorCode)).toEqual([0, 69]);
    expect(await etcd.ns.getAll().prefix(keys.groupsPrefix(group)).keys()).toEqual([]);
  });

  it('static membership: a member that restarts within its session timeout gets its partitions back, no rebalance', async () => {
    await createTopic('shipments', 6);
    const options = { coordinators, groupId: 'shippers', topics: ['shipments'], sessionTimeoutMs: 5000 };
    const a = new TestGroupMember({ ...options, instanceId: 'pod-a' });
    const b = new TestGroupMember({ ...options, instanceId: 'pod-b' });
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.owned.size === 3 && b.owned.size === 3, {
      timeoutMs: 10_000,
      description: '3 each',
    });
    const mine = [...a.owned].sort();
    const generation = a.generation;
    let bRevoked = 0;
    b.on('revoke', () => bRevoked++);

    a.destroy(); // the process dies: its stream breaks without leave
    const restarted = new TestGroupMember({ ...options, instanceId: 'pod-a' });
    await restarted.start();
    expect([...restarted.owned].sort()).toEqual(mine);
    expect(restarted.generation).toBe(generation);
    expect(restarted.memberId).not.toBe(a.memberId);
    expect(b.generation).toBe(generation);
    expect(bRevoked).toBe(0);
    await Promise.all([restarted.leave(), b.leave()]);
  });

  it('removes a member whose processing is stuck (heartbeats go on, no poll progress) after max_poll_interval_ms', async () => {
    await createTopic('slow', 4);
    const options = {
      coordinators,
      groupId: 'slowpokes',
      topics: ['slow'],
      sessionTimeoutMs: 3000,
      maxPollIntervalMs: 1500,
    };
    const a = new TestGroupMember(options);
    const b = new TestGroupMember(options);
    await Promise.all([a.start(), b.start()]);
    await waitFor(() => a.owned.size === 2 && b.owned.size === 2, {
      timeoutMs: 10_000,
      description: '2 each',
    });
    const lost = new Promise<string>((resolve) => a.once('lost', (err: Error) => resolve(err.message)));
    a.stuck = true;
    expect(await lost).toMatch(/max poll interval/);
    await waitFor(() => b.owned.size === 4, { timeoutMs: 5000, description: 'b to own all 4' });
    a.destroy();
    await b.leave();
  });
});
