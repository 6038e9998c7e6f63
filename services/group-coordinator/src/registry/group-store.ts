import { TributaryError } from '@tributary/errors';
import {
  type GroupCoordinatorRecord,
  type GroupOffsetRecord,
  isGroupCoordinatorRecord,
  isGroupOffsetRecord,
  keys,
  type Namespace,
  parseRecord,
  serializeRecord,
} from '@tributary/registry';
import type { GenerationUpdate } from '../membership/group';
import { parseTp, type TpKey, tpKey } from '../topic-partition';

/** One operation of an etcd txn (a put or delete builder of the namespace). */
type TxnOp = Parameters<ReturnType<Namespace['if']>['then']>[number];

/** An offset to write: the partition and its record. */
export interface OffsetEntry {
  readonly tp: TpKey;
  readonly record: GroupOffsetRecord;
}

/** The guarded txns of one write sent to etcd at once (see `GroupStore.write`). */
const TXNS_IN_FLIGHT = 16;

/** Who this coordinator is, as written into `groups/<g>/coordinator`. */
export interface CoordinatorIdentity {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

/** The outcome of trying to claim a group. */
export type ClaimResult =
  | { readonly claimed: true; readonly createRevision: number; readonly adopted: boolean }
  | { readonly claimed: false; readonly holder: GroupCoordinatorRecord | undefined };

/**
 * Claims `groups/<g>/coordinator` for this coordinator on its lease: a txn on
 * `create_revision == 0`, so at most one coordinator holds a group. A key already held by this
 * coordinator on the same lease (the group was dropped from memory after a failed write) is
 * adopted. The key's create revision fences every later write for the group (`GroupStore`).
 */
export async function claimGroup(
  ns: Namespace,
  groupId: string,
  self: CoordinatorIdentity,
  leaseId: string,
  now: number,
): Promise<ClaimResult> {
  const key = keys.groupCoordinatorKey(groupId);
  const record: GroupCoordinatorRecord = {
    version: 1,
    coordinatorId: self.id,
    host: self.host,
    port: self.port,
    claimedAt: now,
    generation: 0,
    assignor: '',
    state: 'EMPTY',
    memberCount: 0,
  };
  const result = await ns
    .if(key, 'Create', '==', 0)
    .then(ns.put(key).value(serializeRecord(record)).lease(leaseId))
    .else(ns.get(key))
    .commit();
  if (result.succeeded)
    return { claimed: true, createRevision: Number(result.header.revision), adopted: false };
  const kv = result.responses[0]?.response_range?.kvs[0];
  if (!kv) return { claimed: false, holder: undefined };
  let holder: GroupCoordinatorRecord | undefined;
  try {
    holder = parseRecord(key, kv.value, isGroupCoordinatorRecord);
  } catch {
    holder = undefined;
  }
  if (holder?.coordinatorId === self.id && String(kv.lease) === String(leaseId)) {
    return { claimed: true, createRevision: Number(kv.create_revision), adopted: true };
  }
  return { claimed: false, holder };
}

/** The group's committed offsets, as stored. */
export async function loadOffsets(ns: Namespace, groupId: string): Promise<Map<TpKey, GroupOffsetRecord>> {
  const prefix = keys.groupOffsetsPrefix(groupId);
  const values = await ns.getAll().prefix(prefix).strings();
  const offsets = new Map<TpKey, GroupOffsetRecord>();
  for (const [key, value] of Object.entries(values)) {
    const { topic, partition } = parseTp(key.slice(prefix.length));
    offsets.set(tpKey(topic, partition), parseRecord(key, value, isGroupOffsetRecord));
  }
  return offsets;
}

/**
 * Every etcd write for one group this coordinator owns. Each txn compares the group coordinator
 * key's create revision with the claim's (ARCHITECTURE §2, fencing): a coordinator that lost the
 * group (its lease expired while it was paused, or the group was deleted) fails its next write
 * with NOT_COORDINATOR instead of overwriting the new owner's decisions. Writes of more than
 * `maxOps` operations (etcd's --max-txn-ops, 128 by default) are split into several guarded txns.
 */
export class GroupStore {
  constructor(
    private readonly ns: Namespace,
    readonly groupId: string,
    readonly claimRevision: number,
    private readonly leaseId: string,
    private readonly self: CoordinatorIdentity,
    private readonly claimedAt: number,
    private readonly maxOps: number,
  ) {}

  /**
   * Runs `ops` in guarded txns of at most `maxOps`, up to {@link TXNS_IN_FLIGHT} at once; throws
   * NOT_COORDINATOR when fenced. The txns of one write touch distinct keys and each is guarded on
   * its own, so their order does not matter, and a write that fails part-way leaves what one
   * after the other would have left (some txns applied, the caller's mirror not moved, so the
   * next write carries them again). One after the other, a generation of a 10,000-partition group
   * (10,000 owner keys, 79 txns) waited for 79 etcd commits before any member got its assignment
   * (docs/scale.md, ninth round); in flight together, etcd commits them in a few raft batches.
   */
  async write(ops: readonly TxnOp[]): Promise<void> {
    const key = keys.groupCoordinatorKey(this.groupId);
    let next = 0;
    let fenced = false;
    let failed = false;
    const worker = async () => {
      while (next < ops.length && !fenced && !failed) {
        const chunk = ops.slice(next, next + this.maxOps);
        next += this.maxOps;
        try {
          const result = await this.ns
            .if(key, 'Create', '==', this.claimRevision)
            .then(...chunk)
            .commit();
          if (!result.succeeded) fenced = true;
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    const txns = Math.ceil(ops.length / this.maxOps);
    await Promise.all(Array.from({ length: Math.min(TXNS_IN_FLIGHT, txns) }, worker));
    if (fenced) {
      throw new TributaryError(
        'NOT_COORDINATOR',
        `This coordinator no longer owns group ${this.groupId}; find the coordinator again`,
      );
    }
  }

  /** The registries of a new generation: coordinator summary, consumer and ownership changes. */
  writeGeneration(update: GenerationUpdate): Promise<void> {
    const g = this.groupId;
    const summary: GroupCoordinatorRecord = {
      version: 1,
      coordinatorId: this.self.id,
      host: this.self.host,
      port: this.self.port,
      claimedAt: this.claimedAt,
      generation: update.generation,
      assignor: update.assignor,
      state: update.state,
      memberCount: update.memberCount,
    };
    const ops: TxnOp[] = [
      this.ns.put(keys.groupCoordinatorKey(g)).value(serializeRecord(summary)).lease(this.leaseId),
    ];
    for (const member of update.putMembers) {
      ops.push(
        this.ns
          .put(keys.groupMemberKey(g, member.memberId))
          .value(serializeRecord(member))
          .lease(this.leaseId),
      );
    }
    for (const memberId of update.deleteMembers)
      ops.push(this.ns.delete().key(keys.groupMemberKey(g, memberId)));
    for (const [tp, memberId] of update.owners) {
      const { topic, partition } = parseTp(tp);
      const key = keys.groupOwnerKey(g, topic, partition);
      ops.push(
        memberId === undefined
          ? this.ns.delete().key(key)
          : this.ns
              .put(key)
              .value(serializeRecord({ version: 1, memberId, generation: update.generation }))
              .lease(this.leaseId),
      );
    }
    return this.write(ops);
  }

  writeOffsets(entries: readonly OffsetEntry[]): Promise<void> {
    return this.write(
      entries.map(({ tp, record }) => {
        const { topic, partition } = parseTp(tp);
        return this.ns
          .put(keys.groupOffsetKey(this.groupId, topic, partition))
          .value(serializeRecord(record));
      }),
    );
  }

  /**
   * Removes consumer and ownership keys left by an earlier claim of this coordinator (every key of
   * the group but its claim and its committed offsets).
   */
  async clearMembership(): Promise<void> {
    const g = this.groupId;
    const claim = keys.groupCoordinatorKey(g);
    const offsets = keys.groupOffsetsPrefix(g);
    const stale = (await this.ns.getAll().prefix(keys.groupsPrefix(g)).keys()).filter(
      (key) => key !== claim && !key.startsWith(offsets),
    );
    await this.write(stale.map((key) => this.ns.delete().key(key)));
  }

  /**
   * A graceful shutdown hands the group over: its consumer registry (`groups/<g>/members/`) is
   * rewritten without the lease, so it outlives the lease this coordinator is about to revoke and
   * tells the next coordinator which members it need wait for (`takeOverMembers`).
   */
  async handOverMembers(): Promise<void> {
    const values = await this.ns.getAll().prefix(keys.groupMembersPrefix(this.groupId)).strings();
    await this.write(Object.entries(values).map(([key, value]) => this.ns.put(key).value(value)));
  }

  /**
   * The member ids a previous coordinator handed over (`handOverMembers`), and clears the consumer
   * and ownership registries left behind. Empty after a coordinator died: its keys went with its lease.
   */
  async takeOverMembers(): Promise<string[]> {
    const prefix = keys.groupMembersPrefix(this.groupId);
    const ids = (await this.ns.getAll().prefix(prefix).keys()).map((key) =>
      decodeURIComponent(key.slice(prefix.length)),
    );
    await this.clearMembership();
    return ids;
  }

  /** Deletes every key of the group, its claim included (DeleteGroups). */
  deleteAll(): Promise<void> {
    return this.write([this.ns.delete().prefix(keys.groupsPrefix(this.groupId))]);
  }
}
