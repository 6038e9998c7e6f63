import { randomUUID } from 'node:crypto';
import {
  connectEtcd,
  type EtcdConnection,
  isGroupCoordinatorRecord,
  keys,
  parseRecord,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { TestGroupMember } from './lib/group-member';

jest.setTimeout(60_000);

/**
 * Issue 7: coordinator availability. Two coordinator processes; kill -9 the one that owns the
 * group: the survivor takes the group over once the dead coordinator's lease expires, members
 * find it and rejoin, and every acknowledged commit is still there.
 */
describe('group coordinator failover', () => {
  const leaseTtlSeconds = 2;
  let cluster: LocalCluster;
  let etcd: EtcdConnection;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 0,
      controllers: 0,
      coordinators: 2,
      leaseTtlSeconds,
      extraArgs: { 'group-coordinator': ['--group.initial.rebalance.delay.ms', '300'] },
    });
    etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  const holder = async (group: string) => {
    const raw = await etcd.ns.get(keys.groupCoordinatorKey(group)).string();
    return raw === null ? undefined : parseRecord('coordinator', raw, isGroupCoordinatorRecord).coordinatorId;
  };

  it('kill -9 of the owning coordinator: another takes the group over, consumers continue from committed offsets, none lost', async () => {
    const topic: TopicRecord = {
      version: 1,
      name: 'events',
      topicId: randomUUID(),
      replicas: Array.from({ length: 6 }, () => [0]),
      configs: {},
      createdAt: Date.now(),
    };
    await etcd.ns.put(keys.topicKey('events')).value(serializeRecord(topic)).exec();
    const group = 'event-sinks';
    const coordinators = cluster.coordinators.map((c) => c.address);
    const members = [0, 1, 2].map(
      (i) =>
        new TestGroupMember({
          coordinators,
          groupId: group,
          topics: ['events'],
          clientId: `sink-${i}`,
          sessionTimeoutMs: 5000,
        }),
    );

    // "Consumption": each member advances its partitions' positions and commits them; the test
    // remembers the last position acknowledged per partition.
    const positions = new Map<string, number>();
    const acked = new Map<string, number>();
    let running = true;
    const consume = async (m: TestGroupMember) => {
      while (running) {
        const mine = [...m.owned].filter((p) => positions.has(p));
        if (mine.length > 0) {
          const offsets = Object.fromEntries(mine.map((p) => [p, positions.get(p)! + 10]));
          try {
            const response = await m.commit(offsets);
            for (const t of response.topics) {
              for (const p of t.partitions) {
                const key = `${t.topic}/${p.partition}`;
                if (p.errorCode === 0) {
                  acked.set(key, offsets[key]!);
                  positions.set(key, offsets[key]!);
                }
              }
            }
          } catch {
            // The coordinator is gone or moving: try again after the member rejoins.
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // A consumer starts a newly assigned partition at its committed offset (0 when none).
    for (const m of members) {
      m.on('assignment', async ({ partitions }: { partitions: string[] }) => {
        const committed = await m.fetchOffsets().catch(() => undefined);
        for (const p of partitions) {
          if (!positions.has(p) || committed) positions.set(p, Math.max(0, committed?.get(p) ?? 0));
        }
      });
    }
    await Promise.all(members.map((m) => m.start()));
    await waitFor(() => members.every((m) => m.owned.size === 2), {
      timeoutMs: 10_000,
      description: '2 partitions each',
    });
    const loops = members.map(consume);
    await waitFor(() => [...acked.values()].filter((v) => v >= 50).length === 6, {
      timeoutMs: 10_000,
      description: 'some commits on every partition',
    });

    const ownerId = await holder(group);
    const owner = cluster.coordinators.find((c) => c.id === ownerId)!;
    const survivor = cluster.coordinators.find((c) => c !== owner)!;
    const before = new Map(members.map((m) => [m, [...m.owned].sort()]));
    const reassigned = new Set<TestGroupMember>();
    for (const m of members) {
      m.on('assignment', () => {
        if (m.coordinator === survivor.address) reassigned.add(m);
      });
    }
    const killedAt = Date.now();
    owner.signal('SIGKILL');
    await owner.process!.waitForExit();
    const ackedAtKill = new Map(acked);

    await waitFor(async () => (await holder(group)) === survivor.id, {
      timeoutMs: leaseTtlSeconds * 1000 + 8000,
      description: `${survivor.id} to own ${group}`,
    });
    const claimedAfterMs = Date.now() - killedAt;
    await waitFor(() => reassigned.size === 3 && members.every((m) => m.owned.size === 2), {
      timeoutMs: 10_000,
      description: 'members to rejoin the survivor',
    });
    const rejoinedAfterMs = Date.now() - killedAt;
    const committedAfter = await members[0]!.fetchOffsets();
    for (const [p, offset] of ackedAtKill) expect(committedAfter.get(p)!).toBeGreaterThanOrEqual(offset);
    const kept = members.filter(
      (m) => JSON.stringify([...m.owned].sort()) === JSON.stringify(before.get(m)),
    ).length;

    // Consumption goes on at the survivor from the committed offsets.
    const target = new Map([...committedAfter].map(([p, o]) => [p, o + 50]));
    await waitFor(() => [...target].every(([p, o]) => (acked.get(p) ?? 0) >= o), {
      timeoutMs: 10_000,
      description: 'commits to advance at the survivor',
    });
    running = false;
    await Promise.all(loops);
    const final = await members[0]!.fetchOffsets();
    for (const [p, offset] of acked) expect(final.get(p)).toBe(offset);
    console.log(
      `coordinator kill -9: group claimed by ${survivor.id} after ${claimedAfterMs} ms (lease TTL ${leaseTtlSeconds} s), ` +
        `members reassigned after ${rejoinedAfterMs} ms, ${kept}/3 kept their partitions; ` +
        `${ackedAtKill.size} partitions' acknowledged commits all intact`,
    );
    await Promise.all(members.map((m) => m.leave()));
  });

  it('SIGTERM of the owning coordinator hands its groups over at once, without waiting for the lease TTL', async () => {
    // Both coordinators up again (the previous test killed one).
    for (const node of cluster.coordinators) if (!node.process?.running) node.start();
    await Promise.all(cluster.coordinators.map((node) => node.waitServing()));
    const topic: TopicRecord = {
      version: 1,
      name: 'audit-log',
      topicId: randomUUID(),
      replicas: Array.from({ length: 4 }, () => [0]),
      configs: {},
      createdAt: Date.now(),
    };
    await etcd.ns.put(keys.topicKey('audit-log')).value(serializeRecord(topic)).exec();
    const group = 'audit-sinks';
    const coordinators = cluster.coordinators.map((c) => c.address);
    const members = [0, 1].map(
      () => new TestGroupMember({ coordinators, groupId: group, topics: ['audit-log'] }),
    );
    await Promise.all(members.map((m) => m.start()));
    await waitFor(() => members.every((m) => m.owned.size === 2), {
      timeoutMs: 10_000,
      description: '2 each',
    });
    await members[0]!.commit(Object.fromEntries([...members[0]!.owned].map((p) => [p, 7])));

    const owner = cluster.coordinators.find((c) => c.id === ownerIdOf(members[0]!))!;
    const survivor = cluster.coordinators.find((c) => c !== owner)!;
    const moved = new Set<TestGroupMember>();
    for (const m of members) {
      m.on('assignment', () => {
        if (m.coordinator === survivor.address) moved.add(m);
      });
    }
    const stoppedAt = Date.now();
    owner.signal('SIGTERM');
    await waitFor(() => moved.size === 2, {
      timeoutMs: leaseTtlSeconds * 1000,
      description: 'members at the survivor',
    });
    const movedAfterMs = Date.now() - stoppedAt;
    expect((await owner.process!.waitForExit()).code).toBe(0);
    expect(await holder(group)).toBe(survivor.id);
    const committed = await members[0]!.fetchOffsets();
    expect([...committed.values()].filter((o) => o === 7)).toHaveLength(2);
    console.log(`coordinator SIGTERM: members reassigned at the survivor after ${movedAfterMs} ms`);
    await Promise.all(members.map((m) => m.leave()));
  });

  /** The coordinator id behind a member's current coordinator address. */
  const ownerIdOf = (m: TestGroupMember) => cluster.coordinators.find((c) => c.address === m.coordinator)!.id;
});
