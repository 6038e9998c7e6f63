import type { GroupMemberRecord } from '@tributary/registry';
import type { TpKey } from '../topic-partition';
import type { Member } from './member';

/** The ownership and consumer registry changes since the last successful write. */
export interface RegistryChanges {
  /** Partition → its new owner's member id, or undefined when nobody owns it any more. */
  readonly owners: ReadonlyMap<TpKey, string | undefined>;
  readonly putMembers: readonly GroupMemberRecord[];
  readonly deleteMembers: readonly string[];
  /** Call once the changes are written. */
  commit(): void;
}

/**
 * Partition → the member that owns it outright. A partition a member claimed when rejoining and
 * must revoke (it is in that member's `pendingRevoke`) counts only when nobody else owns it.
 */
export function ownersOf(members: Iterable<Member>): Map<TpKey, string> {
  const list = [...members];
  const owners = new Map<TpKey, string>();
  for (const m of list) for (const tp of m.owned) if (!m.pendingRevoke.has(tp)) owners.set(tp, m.memberId);
  for (const m of list) for (const tp of m.pendingRevoke) if (!owners.has(tp)) owners.set(tp, m.memberId);
  return owners;
}

/**
 * What this coordinator last wrote to `groups/<g>/owners/` and `groups/<g>/members/`, so each
 * write carries only what changed: an owner key is rewritten only when its partition moves, a
 * member key only when the member joins, leaves or changes its subscription.
 */
export class RegistryMirror {
  private owners = new Map<TpKey, string>();
  private members = new Map<string, string>();

  /** The difference between the members' state now and the last committed write. */
  changes(members: Iterable<Member>): RegistryChanges {
    const list = [...members];
    const owners = ownersOf(list);
    const ownerChanges = new Map<TpKey, string | undefined>();
    for (const [tp, memberId] of owners) if (this.owners.get(tp) !== memberId) ownerChanges.set(tp, memberId);
    for (const tp of this.owners.keys()) if (!owners.has(tp)) ownerChanges.set(tp, undefined);
    const records = new Map(list.map((m) => [m.memberId, JSON.stringify(m.toRecord())]));
    const putMembers = [...records]
      .filter(([id, json]) => this.members.get(id) !== json)
      .map(([, json]) => JSON.parse(json) as GroupMemberRecord);
    const deleteMembers = [...this.members.keys()].filter((id) => !records.has(id));
    return {
      owners: ownerChanges,
      putMembers,
      deleteMembers,
      commit: () => {
        this.owners = owners;
        this.members = records;
      },
    };
  }
}
