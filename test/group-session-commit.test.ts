import { randomUUID } from 'node:crypto';
import { createClient, type GroupSessionResponse__Output } from '@tributary/proto';
import {
  connectEtcd,
  type EtcdConnection,
  keys,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { TestGroupMember } from './lib/group-member';

/**
 * Commits on the GroupSession stream (`commit` / `commit_result`, step 6 of the membership
 * protocol in group_coordinator.proto): applied in the order the member sent them, fenced as
 * CommitOffsets is, a refusal answered in its result while the session goes on, and the same
 * per-partition results as a CommitOffsets call.
 */
jest.setTimeout(60_000);

describe('consumer groups: commits on the session stream', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let coordinators: string[];

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
  };
  const stored = async (group: string, topic: string, partition: number) =>
    JSON.parse((await etcd.ns.get(keys.groupOffsetKey(group, topic, partition)).string())!).offset as number;
  const revision = async () => Number((await etcd.ns.get('x').exec()).header.revision);

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 0,
      controllers: 0,
      coordinators: 1,
      leaseTtlSeconds: 2,
      // Pipelined writes: later windows may be answered before earlier ones, so results come
      // back out of order and the order of application is what is under test.
      extraArgs: {
        'group-coordinator': [
          '--group.initial.rebalance.delay.ms',
          '200',
          '--offsets.commit.max.in.flight',
          '4',
          '--offsets.commit.window.ms',
          '0',
        ],
      },
    });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    coordinators = cluster.coordinators.map((c) => c.address);
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('applies a session’s commits in the order sent, each answered by its own result', async () => {
    await createTopic('ordered', 4);
    const member = new TestGroupMember({ coordinators, groupId: 'ordered-readers', topics: ['ordered'] });
    await member.start();
    await waitFor(() => member.owned.size === 4, { timeoutMs: 10_000, description: 'all four partitions' });
    const owned = [...member.owned].sort();

    // 400 commits fired without waiting: each partition's offsets rise, whole-set commits in
    // between; the last one sent for each partition must be what etcd holds.
    const before = await revision();
    const sent: Promise<{
      offsets: Record<string, number>;
      response: Awaited<ReturnType<TestGroupMember['commit']>>;
    }>[] = [];
    let expected: Record<string, number> = {};
    for (let i = 1; i <= 400; i++) {
      const offsets =
        i % 7 === 0
          ? Object.fromEntries(owned.map((p) => [p, i * 10]))
          : { [owned[i % owned.length]!]: i * 10 };
      expected = { ...expected, ...offsets };
      sent.push(member.commit(offsets).then((response) => ({ offsets, response })));
    }
    for (const { offsets, response } of await Promise.all(sent)) {
      const answered = response.topics.flatMap((t) =>
        t.partitions.map((p) => [`${t.topic}/${p.partition}`, p]),
      );
      expect(answered.map(([key]) => key).sort()).toEqual(Object.keys(offsets).sort());
      for (const [, p] of answered) expect(p).toMatchObject({ errorCode: 0 });
    }
    const after = await revision();
    for (const p of owned) {
      expect(await stored('ordered-readers', 'ordered', Number(p.split('/')[1]))).toBe(expected[p]);
    }
    expect((await member.fetchOffsets()).get(owned[0]!)).toBe(expected[owned[0]!]);
    console.log(`400 session commits written in ${after - before} etcd txns`);
    expect(after - before).toBeLessThan(400);
    await member.leave();
  });

  it('a commit sent right behind its join waits for the join (no message overtakes one)', async () => {
    // The coordinator handles a message at once when nothing is queued ahead of it; a join
    // waits for its group, and what arrives meanwhile must wait behind it. Were the commit
    // handled first, the session would end with "the first message must be join".
    await createTopic('behind-join', 1);
    const client = createClient('GroupCoordinatorService', coordinators[0]!);
    const stream = client.groupSession();
    const received: GroupSessionResponse__Output[] = [];
    stream.on('data', (m: GroupSessionResponse__Output) => received.push(m));
    stream.on('error', () => {});
    stream.write({ join: { groupId: 'behind-join-readers', clientId: 'raw', topics: ['behind-join'] } });
    stream.write({
      commit: {
        commitId: 1,
        generationId: 0,
        topics: [{ topic: 'behind-join', partitions: [{ partition: 0, offset: 5 }] }],
      },
    });
    await waitFor(() => received.some((m) => m.kind === 'commitResult'), {
      timeoutMs: 10_000,
      description: 'the commit answered',
    });
    expect(received.find((m) => m.kind === 'error')).toBeUndefined();
    const result = received.find((m) => m.kind === 'commitResult')!.commitResult!;
    expect(result.commitId).toBe(1);
    // Joined but not yet given the partition: refused in the result (the partition's own error),
    // and the session goes on.
    const codes = [result.errorCode, ...result.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))];
    expect(codes.some((code) => code !== 0)).toBe(true);
    stream.write({ leave: { reason: 'done' } });
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    client.close();
  });

  it('fences as CommitOffsets does, and a refused commit does not end the session', async () => {
    await createTopic('fenced', 2);
    const options = { coordinators, groupId: 'fenced-readers', topics: ['fenced'] };
    const a = new TestGroupMember(options);
    await a.start();
    await waitFor(() => a.owned.size === 2, { timeoutMs: 10_000, description: 'a owns both' });
    const b = new TestGroupMember(options);
    const joinedGeneration = a.generation;
    await b.start();
    await waitFor(() => a.owned.size === 1 && b.owned.size === 1 && a.generation > joinedGeneration, {
      timeoutMs: 10_000,
      description: 'one partition each',
    });
    const mine = [...a.owned][0]!;
    const theirs = [...b.owned][0]!;

    // A partition the member does not own: per-partition ILLEGAL_GENERATION, on both paths alike.
    const onSession = await a.commit({ [mine]: 3, [theirs]: 3 });
    const byCall = await a.commit({ [mine]: 3, [theirs]: 3 }, { via: 'call' });
    expect(onSession).toEqual(byCall);
    const results = new Map(onSession.topics[0]!.partitions.map((p) => [p.partition, p.errorCode]));
    expect(results.get(Number(mine.split('/')[1]))).toBe(0);
    expect(results.get(Number(theirs.split('/')[1]))).not.toBe(0);

    // An older generation the member was given: REBALANCE_IN_PROGRESS in the result.
    await expect(a.commit({ [mine]: 4 }, { generation: joinedGeneration })).rejects.toMatchObject({
      errorName: 'REBALANCE_IN_PROGRESS',
    });
    // A generation never given: ILLEGAL_GENERATION.
    await expect(a.commit({ [mine]: 4 }, { generation: a.generation + 5 })).rejects.toMatchObject({
      errorName: 'ILLEGAL_GENERATION',
    });
    // The session goes on: same member, same generation, and the next commit is accepted.
    const generation = a.generation;
    const memberId = a.memberId;
    const ok = await a.commit({ [mine]: 9 });
    expect(ok.topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(a.memberId).toBe(memberId);
    expect(a.generation).toBe(generation);
    expect(await stored('fenced-readers', 'fenced', Number(mine.split('/')[1]))).toBe(9);

    // Revoked partitions are committed on the session before revoke_done; the next owner reads them.
    b.onRevoke = async (partitions) => {
      await b.commit(Object.fromEntries(partitions.map((p) => [p, 77])));
    };
    await b.leave();
    const c = new TestGroupMember(options);
    c.onRevoke = async (partitions) => {
      await c.commit(Object.fromEntries(partitions.map((p) => [p, 88])));
    };
    a.onRevoke = async (partitions) => {
      await a.commit(Object.fromEntries(partitions.map((p) => [p, 55])));
    };
    await waitFor(() => a.owned.size === 2, { timeoutMs: 10_000, description: 'a owns both again' });
    await c.start();
    await waitFor(() => a.owned.size + c.owned.size === 2 && c.owned.size === 1, {
      timeoutMs: 10_000,
      description: 'c takes one',
    });
    const moved = [...c.owned][0]!;
    expect((await c.fetchOffsets()).get(moved)).toBe(55);
    await Promise.all([a.leave(), c.leave()]);
  });
});
