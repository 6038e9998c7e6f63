// The group coordinator's guarded etcd writes (services/group-coordinator/src/registry/group-store.ts)
// against a real etcd: a write of many txns lands whole, and a coordinator that lost its claim
// is refused with NOT_COORDINATOR whichever txn meets the new claim.
import { connectEtcd, type EtcdConnection, keys } from '@tributary/registry';
import { type EtcdServer, startEtcd } from '@tributary/test-kit';
import { claimGroup, GroupStore } from '../services/group-coordinator/src/registry/group-store';
import { tpKey } from '../services/group-coordinator/src/topic-partition';

describe('GroupStore writes against a real etcd', () => {
  let etcd: EtcdServer;
  let conn: EtcdConnection;
  const leases: { revoke(): Promise<unknown> }[] = [];
  const self = { id: 'coordinator-0', host: '127.0.0.1', port: 1 };

  beforeAll(async () => {
    etcd = await startEtcd();
    conn = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: 'group-store-test' });
  });
  afterAll(async () => {
    await Promise.all(leases.map((l) => l.revoke().catch(() => undefined)));
    conn?.close();
    await etcd?.stop();
  });

  async function claimed(groupId: string): Promise<{ store: GroupStore; leaseId: string }> {
    const lease = conn.ns.lease(30);
    leases.push(lease);
    const leaseId = await lease.grant();
    const claim = await claimGroup(conn.ns, groupId, self, leaseId, Date.now());
    if (!claim.claimed) throw new Error('not claimed');
    return {
      store: new GroupStore(conn.ns, groupId, claim.createRevision, leaseId, self, Date.now(), 128),
      leaseId,
    };
  }

  it('writes a generation of 10,000 owners in many txns, every key', async () => {
    const { store } = await claimed('g-many');
    const owners = new Map<ReturnType<typeof tpKey>, string>();
    for (let p = 0; p < 10_000; p++) owners.set(tpKey('t', p), `member-${p % 4}`);
    await store.writeGeneration({
      generation: 1,
      assignor: 'range',
      state: 'STABLE',
      memberCount: 4,
      owners,
      putMembers: [],
      deleteMembers: [],
    });
    const ownerKeys = await conn.ns
      .getAll()
      .prefix(`${keys.groupsPrefix('g-many')}owners/`)
      .keys();
    expect(new Set(ownerKeys)).toEqual(
      new Set([...owners.keys()].map((tp) => `${keys.groupsPrefix('g-many')}owners/${tp}`)),
    );
    expect(await conn.ns.get(keys.groupOwnerKey('g-many', 't', 9_999)).string()).toContain('member-3');
  });

  it('refuses a write after the claim moved, with NOT_COORDINATOR', async () => {
    const { store } = await claimed('g-fenced');
    // Another coordinator's claim: the key is deleted and created again (a new create revision).
    await conn.ns.delete().key(keys.groupCoordinatorKey('g-fenced'));
    const other = await claimed('g-fenced');
    const owners = new Map<ReturnType<typeof tpKey>, string>();
    for (let p = 0; p < 1_000; p++) owners.set(tpKey('t', p), 'member-0');
    const write = store.writeGeneration({
      generation: 1,
      assignor: 'range',
      state: 'STABLE',
      memberCount: 1,
      owners,
      putMembers: [],
      deleteMembers: [],
    });
    await expect(write).rejects.toMatchObject({ errorName: 'NOT_COORDINATOR' });
    expect(
      await conn.ns
        .getAll()
        .prefix(`${keys.groupsPrefix('g-fenced')}owners/`)
        .keys(),
    ).toEqual([]);
    expect(other.store).toBeDefined();
  });
});
