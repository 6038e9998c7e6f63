import { TributaryError } from '@tributary/errors';
import type { GroupSessionResponse } from '@tributary/proto';
import { createLogger } from '@tributary/service-kit';
import { ManualClock } from '../clock';
import { fromTopicPartitions, type TpKey } from '../topic-partition';
import { type GenerationUpdate, Group } from './group';
import type { JoinRequest, MemberSession } from './member';

class FakeSession implements MemberSession {
  readonly messages: GroupSessionResponse[] = [];
  ended: { error: TributaryError | undefined } | undefined;
  send(message: GroupSessionResponse): void {
    if (!this.ended) this.messages.push(message);
  }
  end(error?: TributaryError): void {
    this.ended ??= { error };
  }
  get memberId(): string {
    return this.messages.find((m) => m.joined)!.joined!.memberId!;
  }
  /** The partitions of the latest assignment, and its generation. */
  get assignment(): { generation: number; partitions: TpKey[] } | undefined {
    const a = this.messages.filter((m) => m.assignment).at(-1)?.assignment;
    return a
      ? { generation: a.generationId!, partitions: fromTopicPartitions(a.partitions as never) }
      : undefined;
  }
  get revokes(): { generation: number; partitions: TpKey[] }[] {
    return this.messages
      .filter((m) => m.revoke)
      .map((m) => ({
        generation: m.revoke!.generationId!,
        partitions: fromTopicPartitions(m.revoke!.partitions as never),
      }));
  }
}

const settle = () => new Promise((r) => setImmediate(r));

function harness(
  options: {
    partitions?: Record<string, number>;
    initialDelayMs?: number;
    takeover?: { claimedAt: number; previousGeneration: boolean; handedOver?: ReadonlySet<string> };
    drainCommits?: () => Promise<void>;
    writeGeneration?: (update: GenerationUpdate) => Promise<void>;
  } = {},
) {
  const failures: Error[] = [];
  const clock = new ManualClock();
  const counts = new Map(Object.entries(options.partitions ?? { t: 6 }));
  const writes: GenerationUpdate[] = [];
  let ids = 0;
  const group = new Group(
    {
      groupId: 'g',
      clock,
      initialRebalanceDelayMs: options.initialDelayMs ?? 0,
      takeover: options.takeover ?? { claimedAt: 0, previousGeneration: false },
      partitionCount: (topic) => counts.get(topic),
      writeGeneration: async (update) => {
        await options.writeGeneration?.(update);
        writes.push(update);
      },
      drainCommits: options.drainCommits ?? (async () => undefined),
      onWriteFailed: (err) => {
        failures.push(err);
      },
      newMemberId: (clientId) => `${clientId}-${++ids}`,
      logger: createLogger({ service: 'test', instance: 'test', level: 'silent' }),
    },
    0,
  );
  const join = (overrides: Partial<JoinRequest> = {}, session = new FakeSession()) => {
    group.join(
      {
        memberId: '',
        instanceId: '',
        clientId: 'c',
        host: '127.0.0.1',
        topics: ['t'],
        assignors: ['cooperative-sticky', 'range'],
        sessionTimeoutMs: 3000,
        rebalanceTimeoutMs: 5000,
        maxPollIntervalMs: 60_000,
        owned: [],
        ...overrides,
      },
      session,
    );
    return session;
  };
  /** Answers every revoke the session got that is not answered yet. */
  const answered = new WeakMap<FakeSession, number>();
  const confirmRevokes = (session: FakeSession) => {
    const revokes = session.revokes;
    for (const r of revokes.slice(answered.get(session) ?? 0))
      group.revokeDone(session.memberId, r.generation, r.partitions);
    answered.set(session, revokes.length);
  };
  const heartbeatAll = (...sessions: FakeSession[]) => {
    for (const s of sessions) {
      group.heartbeat(s.memberId, s.assignment?.generation ?? 0);
      group.pollProgress(s.memberId);
    }
  };
  return { clock, counts, writes, failures, group, join, confirmRevokes, heartbeatAll };
}

const owners = (...sessions: FakeSession[]) => {
  const all = sessions.flatMap((s) => s.assignment?.partitions ?? []);
  expect(new Set(all).size).toBe(all.length);
  return all.length;
};

describe('Group membership and rebalance', () => {
  it('assigns a first member every partition and writes the ownership registry before telling it', async () => {
    const h = harness();
    const a = h.join();
    expect(a.messages[0]!.joined).toMatchObject({
      generationId: 0,
      assignor: 'cooperative-sticky',
      heartbeatIntervalMs: 1000,
    });
    await settle();
    expect(a.assignment).toEqual({ generation: 1, partitions: ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'] });
    expect(h.writes).toHaveLength(1);
    expect(h.writes[0]!.owners.size).toBe(6);
    expect(h.writes[0]!.putMembers.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(h.group.state).toBe('STABLE');
  });

  it('cooperative: a joining member takes only the partitions that move, after the old owner releases them', async () => {
    const h = harness();
    const a = h.join();
    await settle();
    const b = h.join();
    await settle();
    expect(a.revokes).toEqual([{ generation: 1, partitions: ['t/3', 't/4', 't/5'] }]);
    expect(b.assignment).toBeUndefined();
    expect(h.group.state).toBe('REBALANCING');
    h.confirmRevokes(a);
    await settle();
    expect(a.assignment).toEqual({ generation: 2, partitions: ['t/0', 't/1', 't/2'] });
    expect(b.assignment).toEqual({ generation: 2, partitions: ['t/3', 't/4', 't/5'] });
    expect(h.writes.at(-1)!.owners.size).toBe(3);
    expect(owners(a, b)).toBe(6);
  });

  it('eager: every owned partition is revoked before the new assignment', async () => {
    const h = harness();
    const a = h.join({ assignors: ['range'] });
    await settle();
    const b = h.join({ assignors: ['range'] });
    await settle();
    expect(a.revokes).toEqual([{ generation: 1, partitions: ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'] }]);
    h.confirmRevokes(a);
    await settle();
    expect(a.assignment).toEqual({ generation: 2, partitions: ['t/0', 't/1', 't/2'] });
    expect(b.assignment).toEqual({ generation: 2, partitions: ['t/3', 't/4', 't/5'] });
  });

  it('removes a member without heartbeats after its session timeout, and only then', async () => {
    const h = harness();
    const a = h.join();
    const b = h.join();
    await settle();
    h.confirmRevokes(a);
    await settle();
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      h.heartbeatAll(a, b);
    }
    expect(a.ended).toBeUndefined();
    h.clock.advance(2000);
    h.heartbeatAll(b);
    expect(a.ended).toBeUndefined();
    h.clock.advance(1000);
    expect(a.ended?.error?.errorName).toBe('UNKNOWN_MEMBER_ID');
    expect(a.ended?.error?.message).toMatch(/session timeout/);
    await settle();
    expect(b.assignment!.partitions).toHaveLength(6);
  });

  it('removes a member whose processing is stuck (heartbeats but no poll progress) after max_poll_interval_ms', async () => {
    const h = harness();
    const a = h.join({ maxPollIntervalMs: 10_000 });
    await settle();
    for (let t = 0; t < 9; t++) {
      h.clock.advance(1000);
      h.group.heartbeat(a.memberId, 1);
    }
    expect(a.ended).toBeUndefined();
    h.clock.advance(1000);
    expect(a.ended?.error?.errorName).toBe('UNKNOWN_MEMBER_ID');
    expect(a.ended?.error?.message).toMatch(/max poll interval/);
  });

  it('removes a member that does not confirm a revoke within its rebalance timeout', async () => {
    const h = harness();
    const a = h.join();
    await settle();
    const b = h.join();
    await settle();
    expect(a.revokes).toHaveLength(1);
    h.clock.advance(2500);
    h.heartbeatAll(a, b);
    h.clock.advance(2500);
    expect(a.ended?.error?.message).toMatch(/rebalance timeout/);
    await settle();
    expect(b.assignment).toEqual({ generation: 2, partitions: ['t/0', 't/1', 't/2', 't/3', 't/4', 't/5'] });
  });

  it('removes a dynamic member at once when its stream breaks; a leave ends the stream cleanly', async () => {
    const h = harness();
    const a = h.join();
    const b = h.join();
    const c = h.join();
    await settle();
    h.group.sessionClosed(a.memberId, a);
    await settle();
    expect(h.group.memberCount).toBe(2);
    h.group.leave(b.memberId, 'consumer closed');
    expect(b.ended).toEqual({ error: undefined });
    await settle();
    expect(c.assignment!.partitions).toHaveLength(6);
  });

  it('static member: a restart within the session timeout gets its partitions back with no rebalance', async () => {
    const h = harness();
    const a = h.join({ instanceId: 'pod-a' });
    const b = h.join({ instanceId: 'pod-b' });
    await settle();
    h.confirmRevokes(a);
    h.confirmRevokes(b);
    await settle();
    const before = { a: a.assignment!, b: b.assignment! };
    const generation = h.group.generation;
    const rebalances = h.group.rebalances;

    h.group.sessionClosed(a.memberId, a);
    h.clock.advance(2000);
    h.heartbeatAll(b);
    const a2 = h.join({ instanceId: 'pod-a' });
    await settle();
    expect(a2.memberId).not.toBe(a.memberId);
    expect(a2.assignment).toEqual(before.a);
    expect(h.group.generation).toBe(generation);
    expect(h.group.rebalances).toBe(rebalances);
    expect(b.revokes).toHaveLength(0);
    // The old id is fenced; the owner records now name the new one.
    expect(h.group.checkCommit(a.memberId, generation)).toMatchObject({
      ok: false,
      error: 'UNKNOWN_MEMBER_ID',
    });
    expect(h.writes.at(-1)!.putMembers.map((m) => m.memberId)).toEqual([a2.memberId]);
    expect(h.writes.at(-1)!.deleteMembers).toEqual([a.memberId]);
  });

  it('static member: gone past its session timeout, it is removed and its partitions move', async () => {
    const h = harness();
    const a = h.join({ instanceId: 'pod-a' });
    const b = h.join({ instanceId: 'pod-b' });
    await settle();
    h.confirmRevokes(a);
    await settle();
    h.group.sessionClosed(a.memberId, a);
    h.clock.advance(2000);
    h.heartbeatAll(b);
    h.clock.advance(1000);
    await settle();
    expect(h.group.memberCount).toBe(1);
    expect(b.assignment!.partitions).toHaveLength(6);
  });

  it('static member: a second live session with the same instance id fences the first', async () => {
    const h = harness();
    const a = h.join({ instanceId: 'pod-a' });
    await settle();
    const a2 = h.join({ instanceId: 'pod-a' });
    expect(a.ended?.error?.errorName).toBe('FENCED_INSTANCE_ID');
    await settle();
    expect(a2.assignment!.partitions).toHaveLength(6);
  });

  it('waits the initial rebalance delay so members starting together get one generation', async () => {
    const h = harness({ initialDelayMs: 1000 });
    const a = h.join();
    h.clock.advance(400);
    const b = h.join();
    h.clock.advance(400);
    const c = h.join();
    await settle();
    expect(a.assignment).toBeUndefined();
    h.clock.advance(200);
    await settle();
    expect([a, b, c].map((s) => s.assignment!.generation)).toEqual([1, 1, 1]);
    expect(owners(a, b, c)).toBe(6);
    expect(a.revokes).toHaveLength(0);
  });

  it('rebalances when a subscribed topic gains partitions', async () => {
    const h = harness();
    const a = h.join();
    const b = h.join();
    await settle();
    h.confirmRevokes(a);
    await settle();
    h.counts.set('t', 10);
    h.group.topicChanged('t');
    await settle();
    expect(a.assignment!.partitions).toHaveLength(5);
    expect(b.assignment!.partitions).toHaveLength(5);
    expect(owners(a, b)).toBe(10);
  });

  it('refuses a member with no assignor in common', () => {
    const h = harness();
    h.join({ assignors: ['range'] });
    expect(() => h.join({ assignors: ['roundrobin'] })).toThrow(/None of the assignors/);
  });

  it('keeps partitions a member claims when rejoining a new coordinator, and revokes conflicting claims', async () => {
    const h = harness();
    const a = h.join({ owned: ['t/0', 't/1', 't/2'] });
    const b = h.join({ owned: ['t/2', 't/3'] });
    expect(b.revokes).toEqual([{ generation: 0, partitions: ['t/2'] }]);
    const bCommits = h.group.checkCommit(b.memberId, 0);
    expect(bCommits.ok && bCommits.owns('t/3')).toBe(true);
    expect(bCommits.ok && bCommits.owns('t/2')).toBe(false);
    await settle();
    h.confirmRevokes(b);
    await settle();
    h.confirmRevokes(a);
    h.confirmRevokes(b);
    await settle();
    expect(a.assignment!.partitions).toEqual(expect.arrayContaining(['t/0', 't/1', 't/2']));
    expect(b.assignment!.partitions).toEqual(expect.arrayContaining(['t/3']));
    expect(owners(a, b)).toBe(6);
  });
});

describe('Group registry writes', () => {
  it('writes pending commits and the registries before any member hears of the new generation', async () => {
    let releaseDrain: () => void = () => undefined;
    let drains = 0;
    const h = harness({
      drainCommits: () => {
        drains++;
        return new Promise<void>((resolve) => {
          releaseDrain = resolve;
        });
      },
    });
    const a = h.join();
    await settle();
    expect(drains).toBe(1);
    expect(a.assignment).toBeUndefined();
    expect(h.writes).toHaveLength(0);
    releaseDrain();
    await settle();
    expect(h.writes).toHaveLength(1);
    expect(a.assignment?.generation).toBe(1);
  });

  it('gives the group up when a registry write fails (fenced), telling no member', async () => {
    const h = harness({
      writeGeneration: async () => {
        throw new TributaryError('NOT_COORDINATOR', 'fenced');
      },
    });
    const a = h.join();
    await settle();
    expect(h.failures.map((e) => e.message)).toEqual(['fenced']);
    expect(a.assignment).toBeUndefined();
  });

  it('rewrites only the owner keys of partitions that moved', async () => {
    const h = harness({ partitions: { t: 12 } });
    const a = h.join();
    const b = h.join();
    const c = h.join();
    await settle();
    for (const s of [a, b, c]) h.confirmRevokes(s);
    await settle();
    const before = h.writes.length;
    const d = h.join();
    await settle();
    for (const s of [a, b, c]) h.confirmRevokes(s);
    await settle();
    expect(d.assignment!.partitions).toHaveLength(3);
    const update = h.writes.at(-1)!;
    expect(h.writes.length).toBe(before + 1);
    expect([...update.owners.values()]).toEqual([d.memberId, d.memberId, d.memberId]);
    expect(update.putMembers.map((m) => m.memberId)).toEqual([d.memberId]);
  });
});

describe('Group commit fencing', () => {
  it('accepts the owner at its generation, per partition', async () => {
    const h = harness();
    const a = h.join();
    await settle();
    const check = h.group.checkCommit(a.memberId, 1);
    expect(check.ok && check.owns('t/0')).toBe(true);
    h.join();
    await settle();
    h.confirmRevokes(a);
    await settle();
    const after = h.group.checkCommit(a.memberId, 2);
    expect(after.ok && after.owns('t/0')).toBe(true);
    expect(after.ok && after.owns('t/5')).toBe(false);
  });

  it('answers REBALANCE_IN_PROGRESS to a member one assignment behind, ILLEGAL_GENERATION to a removed one', async () => {
    const h = harness();
    const a = h.join();
    await settle();
    const b = h.join();
    await settle();
    h.confirmRevokes(a);
    await settle();
    expect(h.group.checkCommit(a.memberId, 1)).toMatchObject({ ok: false, error: 'REBALANCE_IN_PROGRESS' });
    expect(h.group.checkCommit(a.memberId, 7)).toMatchObject({ ok: false, error: 'ILLEGAL_GENERATION' });
    h.group.leave(a.memberId, 'bye');
    await settle();
    expect(h.group.checkCommit(a.memberId, 2)).toMatchObject({ ok: false, error: 'ILLEGAL_GENERATION' });
    expect(h.group.checkCommit('stranger', h.group.generation)).toMatchObject({
      ok: false,
      error: 'UNKNOWN_MEMBER_ID',
    });
    expect(h.group.checkCommit('', -1)).toMatchObject({ ok: false, error: 'NON_EMPTY_GROUP' });
    h.group.leave(b.memberId, 'bye');
    expect(h.group.checkCommit('', -1)).toMatchObject({ ok: true });
  });

  it('ends a session whose heartbeat names a generation it was never given', async () => {
    const h = harness();
    const a = h.join();
    await settle();
    h.group.heartbeat(a.memberId, 5);
    expect(a.ended?.error?.errorName).toBe('ILLEGAL_GENERATION');
  });
});

describe('Group takeover after a coordinator died', () => {
  // The kill -9 fault case: c0 owned t/0-2, c1 owned t/3-5 at the dead coordinator. Whoever
  // rejoins first must not be handed the other's partitions while the other may still own them.
  it('holds the first assignment for a session timeout after the claim; rejoining members keep their claims', async () => {
    const h = harness({ takeover: { claimedAt: 1_000_000, previousGeneration: true } });
    h.clock.advance(100);
    const c1 = h.join({ memberId: 'old-c1', owned: ['t/3', 't/4', 't/5'] });
    h.clock.advance(1000);
    await settle();
    expect(c1.assignment).toBeUndefined();
    expect(c1.revokes).toEqual([]);
    h.clock.advance(1000);
    const c0 = h.join({ memberId: 'old-c0', owned: ['t/0', 't/1', 't/2'] });
    h.heartbeatAll(c0, c1);
    h.clock.advance(899);
    await settle();
    expect(c1.assignment).toBeUndefined();
    expect(c0.assignment).toBeUndefined();
    h.clock.advance(1); // claimedAt + the 3000 ms session timeout
    await settle();
    expect(c0.assignment?.partitions).toEqual(['t/0', 't/1', 't/2']);
    expect(c1.assignment?.partitions).toEqual(['t/3', 't/4', 't/5']);
    expect(c0.revokes).toEqual([]);
    expect(c1.revokes).toEqual([]);
    expect(owners(c0, c1)).toBe(6);
  });

  it('gives a partition nobody rejoined with only once its previous owner must have fenced itself', async () => {
    const h = harness({ takeover: { claimedAt: 1_000_000, previousGeneration: true } });
    h.clock.advance(500);
    const c1 = h.join({ memberId: 'old-c1', owned: ['t/3', 't/4', 't/5'] });
    for (let t = 500; t < 2500; t += 500) {
      h.clock.advance(500);
      h.heartbeatAll(c1);
      await settle();
      expect(c1.assignment).toBeUndefined();
    }
    h.clock.advance(499);
    await settle();
    expect(c1.assignment).toBeUndefined();
    h.clock.advance(1);
    await settle();
    expect(c1.assignment?.partitions).toEqual(['t/0', 't/1', 't/2', 't/3', 't/4', 't/5']);
  });

  it('a group with committed offsets waits too, even when its first member joins fresh', async () => {
    const h = harness({ takeover: { claimedAt: 1_000_000, previousGeneration: true } });
    const a = h.join();
    h.clock.advance(1500);
    h.heartbeatAll(a);
    h.clock.advance(1499);
    await settle();
    expect(a.assignment).toBeUndefined();
    h.clock.advance(1);
    await settle();
    expect(a.assignment?.generation).toBe(1);
  });

  it('after a graceful handover the wait ends once every handed-over member has rejoined', async () => {
    const handedOver = new Set(['old-c0', 'old-c1']);
    const h = harness({ takeover: { claimedAt: 1_000_000, previousGeneration: true, handedOver } });
    const c0 = h.join({ memberId: 'old-c0', owned: ['t/0', 't/1', 't/2'] });
    h.clock.advance(200);
    await settle();
    expect(c0.assignment).toBeUndefined();
    const c1 = h.join({ memberId: 'old-c1', owned: ['t/3', 't/4', 't/5'] });
    await settle();
    expect(c0.assignment?.partitions).toEqual(['t/0', 't/1', 't/2']);
    expect(c1.assignment?.partitions).toEqual(['t/3', 't/4', 't/5']);
    expect(h.clock.now()).toBe(1_000_200);
  });

  it('a brand-new group is not held: no previous generation can own anything', async () => {
    const h = harness({ takeover: { claimedAt: 1_000_000, previousGeneration: false } });
    const a = h.join();
    await settle();
    expect(a.assignment?.partitions).toHaveLength(6);
  });
});
