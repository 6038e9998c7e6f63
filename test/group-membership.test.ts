import { randomUUID } from 'node:crypto';
import { connectEtcd, type EtcdConnection, keys, type TopicRecord } from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { spawnMemberProcess, TestGroupMember, type TestMemberOptions } from './lib/group-member';

/**
 * Issue 7: membership, ownership and rebalance against real etcd and a real coordinator process.
 * Topics are written straight into etcd as TopicRecords (the coordinator only reads their
 * partition counts; no broker is needed for membership).
 */
jest.setTimeout(60_000);

describe('consumer groups: membership and rebalance', () => {
  const sessionTimeoutMs = 3000;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let coordinators: string[];

  const putTopic = async (name: string, partitions: number) => {
    const record: TopicRecord = {
      version: 1,
      name,
      topicId: randomUUID(),
      replicas: Array.from({ length: partitions }, () => [0]),
      configs: {},
      createdAt: Date.now(),
    };
    await etcd.ns.put(keys.topicKey(name)).value(JSON.stringify(record));
  };

  /** Partition → owning member id, as the ownership registry holds it. */
  const etcdOwners = async (group: string): Promise<Map<string, string>> => {
    const prefix = keys.groupsPrefix(group);
    const all = await etcd.ns.getAll().prefix(prefix).strings();
    const owners = new Map<string, string>();
    for (const [key, value] of Object.entries(all)) {
      const rest = key.slice(prefix.length);
      if (rest.startsWith('owners/')) owners.set(rest.slice('owners/'.length), JSON.parse(value).memberId);
    }
    return owners;
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 0,
      controllers: 0,
      coordinators: 1,
      leaseTtlSeconds: 2,
      extraArgs: { 'group-coordinator': ['--group.initial.rebalance.delay.ms', '300'] },
    });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
    coordinators = cluster.coordinators.map((c) => c.address);
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('12 partitions, 3 member processes: each owned once; after kill -9 of one, its partitions move within the session timeout and are never owned twice', async () => {
    await putTopic('orders', 12);
    const options: TestMemberOptions = {
      coordinators,
      groupId: 'orders-processors',
      topics: ['orders'],
      assignors: ['cooperative-sticky'],
      sessionTimeoutMs,
    };
    const members = [0, 1, 2].map((i) => spawnMemberProcess({ ...options, clientId: `proc-${i}` }));
    try {
      const views = (live: typeof members) => live.map((m) => m.view()?.owned ?? []);
      const disjointUnion = (live: typeof members) => {
        const all = views(live).flat();
        return new Set(all).size === all.length ? all.length : -1;
      };
      await waitFor(
        () => disjointUnion(members) === 12 && members.every((m) => m.view()!.owned.length === 4),
        {
          timeoutMs: 20_000,
          description: `3 members owning 4 partitions each (${JSON.stringify(views(members))}; ${members.map((m) => m.stderr()).join(' ')})`,
        },
      );
      const owners = await etcdOwners('orders-processors');
      expect(owners.size).toBe(12);
      for (const m of members)
        for (const p of m.view()!.owned) expect(owners.get(p)).toBe(m.view()!.memberId);

      // Check at every change a member reports, and sample etcd in a loop, while one member dies:
      // no partition may be in two live members' views, nor have a second owner in etcd.
      let samples = 0;
      let violations = 0;
      let sampling = true;
      const victim = members[0]!;
      const survivors = members.slice(1);
      let killed = false;
      // From the moment SIGKILL is sent, the victim consumes nothing: its last view no longer counts.
      const live = () => members.filter((m) => m.alive && !(killed && m === victim));
      const check = () => {
        const all = views(live()).flat();
        samples++;
        if (new Set(all).size !== all.length) violations++;
      };
      for (const m of members) m.onReport(check);
      const sampler = (async () => {
        while (sampling) {
          check();
          const inEtcd = await etcdOwners('orders-processors');
          if (inEtcd.size > 12) violations++;
        }
      })();
      const lost = victim.view()!.owned;
      const killedAt = Date.now();
      killed = true;
      await victim.kill('SIGKILL');
      await waitFor(() => disjointUnion(survivors) === 12, {
        timeoutMs: sessionTimeoutMs + 5000,
        description: `survivors to own all 12 (${JSON.stringify(views(survivors))})`,
      });
      const movedAfterMs = Date.now() - killedAt;
      sampling = false;
      await sampler;
      console.log(
        `kill -9 of a member owning ${lost.length} partitions: reassigned after ${movedAfterMs} ms ` +
          `(session timeout ${sessionTimeoutMs} ms); ${samples} samples, ${violations} double ownerships`,
      );
      expect(violations).toBe(0);
      expect(movedAfterMs).toBeLessThan(sessionTimeoutMs);
      expect(survivors.map((m) => m.view()!.owned.length).sort()).toEqual([6, 6]);
      await waitFor(
        async () => {
          const after = await etcdOwners('orders-processors');
          return survivors.every((m) => m.view()!.owned.every((p) => after.get(p) === m.view()!.memberId));
        },
        { timeoutMs: 5000, description: 'ownership registry to name the survivors' },
      );

      // The killed member's process is gone; a commit in its name (a zombie) is refused.
      const zombie = new TestGroupMember(options);
      await expect(
        zombie.commit(
          { [lost[0]!]: 42 },
          { memberId: victim.view()!.memberId, generation: victim.view()!.generation },
        ),
      ).rejects.toMatchObject({ errorName: 'ILLEGAL_GENERATION' });
      zombie.destroy();
    } finally {
      await Promise.all(members.map((m) => m.kill('SIGKILL')));
    }
  });

  it('cooperative-sticky: a 4th member joining 3 revokes only the partitions that move; eager (range) revokes all', async () => {
    await putTopic('payments', 12);
    const run = async (assignor: string) => {
      const options = {
        coordinators,
        groupId: `payments-${assignor}`,
        topics: ['payments'],
        assignors: [assignor],
      };
      const members = [0, 1, 2].map(() => new TestGroupMember(options));
      const revoked: string[] = [];
      for (const m of members) m.on('revoke', (ps: string[]) => revoked.push(...ps));
      await Promise.all(members.map((m) => m.start()));
      await waitFor(() => members.every((m) => m.owned.size === 4), {
        timeoutMs: 10_000,
        description: 'balanced',
      });
      const before = members.map((m) => new Set(m.owned));
      revoked.length = 0;
      const fourth = new TestGroupMember(options);
      const started = Date.now();
      await fourth.start();
      await waitFor(() => [...members, fourth].every((m) => m.owned.size === 3), {
        timeoutMs: 10_000,
        description: 'rebalanced to 3 each',
      });
      const elapsed = Date.now() - started;
      const moved = members.reduce((n, m, i) => n + [...before[i]!].filter((p) => !m.owned.has(p)).length, 0);
      await Promise.all([...members, fourth].map((m) => m.leave()));
      return { revoked: revoked.length, moved, elapsed };
    };
    const sticky = await run('cooperative-sticky');
    const eager = await run('range');
    console.log(
      `3 → 4 members, 12 partitions: cooperative-sticky revoked ${sticky.revoked} (moved ${sticky.moved}, ${sticky.elapsed} ms); ` +
        `range (eager) revoked ${eager.revoked} (moved ${eager.moved}, ${eager.elapsed} ms)`,
    );
    expect(sticky.moved).toBe(3);
    expect(sticky.revoked).toBe(3);
    expect(eager.revoked).toBe(12);
  });

  it('rebalances when a subscribed topic gains partitions', async () => {
    await putTopic('growing', 4);
    const options = { coordinators, groupId: 'growers', topics: ['growing'] };
    const members = [new TestGroupMember(options), new TestGroupMember(options)];
    await Promise.all(members.map((m) => m.start()));
    await waitFor(() => members.every((m) => m.owned.size === 2), {
      timeoutMs: 10_000,
      description: '2 each',
    });
    await putTopic('growing', 8);
    await waitFor(() => members.every((m) => m.owned.size === 4), {
      timeoutMs: 10_000,
      description: '4 each',
    });
    expect(new Set(members.flatMap((m) => [...m.owned])).size).toBe(8);
    await Promise.all(members.map((m) => m.leave()));
  });
});
