import { randomUUID } from 'node:crypto';
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
 * Pipelined offset writes (`offsets.commit.max.in.flight` 4, no commit window): several coalesced
 * writes of one group in flight at once, never two holding the same partition. Each partition's
 * chain of awaited commits must end at its last offset, etcd must hold exactly what the
 * coordinator acknowledged, and that must survive a kill -9 of the coordinator.
 */
jest.setTimeout(60_000);

describe('consumer groups: pipelined offset writes', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 0,
      controllers: 0,
      coordinators: 1,
      leaseTtlSeconds: 2,
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
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('per-partition chains end at their last offset, etcd holds what was acknowledged, and it survives kill -9', async () => {
    const partitions = 8;
    const topic: TopicRecord = {
      version: 1,
      name: 'pipelined',
      topicId: randomUUID(),
      replicas: Array.from({ length: partitions }, () => [0]),
      configs: {},
      createdAt: Date.now(),
    };
    await etcd.ns.put(keys.topicKey(topic.name)).value(serializeRecord(topic)).exec();
    const member = new TestGroupMember({
      coordinators: cluster.coordinators.map((c) => c.address),
      groupId: 'pipelined-readers',
      topics: [topic.name],
    });
    await member.start();
    await waitFor(() => member.owned.size === partitions, {
      timeoutMs: 10_000,
      description: 'the member to own every partition',
    });

    // One chain of awaited commits per partition, all chains at once, with commits of every
    // partition fired between them unawaited; then one last commit per partition, all at once.
    const rounds = 30;
    const last = rounds * 10 + 1;
    const owned = [...member.owned];
    const revisionBefore = Number((await etcd.ns.get('x').exec()).header.revision);
    const burst: Promise<unknown>[] = [];
    await Promise.all(
      owned.map(async (p, i) => {
        for (let r = 1; r <= rounds; r++) {
          if (i === 0 && r % 5 === 0) burst.push(member.commit(Object.fromEntries(owned.map((q) => [q, r]))));
          const response = await member.commit({ [p]: r * 10 });
          expect(response.topics[0]!.partitions[0]!.errorCode).toBe(0);
        }
      }),
    );
    await Promise.all(burst);
    await Promise.all(owned.map((p) => member.commit({ [p]: last })));
    const revisionAfter = Number((await etcd.ns.get('x').exec()).header.revision);
    const committed = await member.fetchOffsets();
    for (const p of member.owned) expect(committed.get(p)).toBe(last);
    for (let p = 0; p < partitions; p++) {
      const stored = JSON.parse(
        (await etcd.ns.get(keys.groupOffsetKey('pipelined-readers', topic.name, p)).string())!,
      );
      expect(stored.offset).toBe(last);
    }
    const commits = partitions * (rounds + 1) + burst.length;
    console.log(
      `${commits} commits written in ${revisionAfter - revisionBefore} etcd txns, up to 4 in flight`,
    );
    expect(revisionAfter - revisionBefore).toBeLessThanOrEqual(commits);

    const coordinator = cluster.coordinators[0]!;
    coordinator.signal('SIGKILL');
    await coordinator.process!.waitForExit();
    coordinator.start();
    await coordinator.waitServing();
    const after = await waitFor(() => member.fetchOffsets(), {
      timeoutMs: 15_000,
      description: 'the restarted coordinator to serve the group',
    });
    for (const p of member.owned) expect(after.get(p)).toBe(last);
    await member.leave().catch(() => undefined);
  });
});
