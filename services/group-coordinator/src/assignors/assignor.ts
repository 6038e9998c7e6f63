import { compareTp, type TpKey, tpKey } from '../topic-partition';

/** One member as an assignor sees it. */
export interface AssignorMember {
  readonly memberId: string;
  /** Static membership id (group.instance.id); '' for a dynamic member. */
  readonly instanceId: string;
  /** Subscribed topics. */
  readonly topics: readonly string[];
  /** Partitions the member owns now; only the sticky assignor reads them. */
  readonly owned: readonly TpKey[];
}

export interface AssignorInput {
  readonly members: readonly AssignorMember[];
  /** Partition count of every existing topic (topics absent here are not assigned). */
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/** Member id → its partitions, sorted; every member of the input has an entry. */
export type Assignment = Map<string, TpKey[]>;

/**
 * Computes a group's target assignment from its members and the partitions of their topics.
 * Assignors are pure and deterministic: the same members, subscriptions, owned partitions and
 * partition counts give the same assignment whatever order the members are listed in.
 */
export interface Assignor {
  /** The name members list in `GroupSessionJoin.assignors`. */
  readonly name: string;
  /**
   * Cooperative assignors let members keep partitions that do not move through a rebalance
   * (only moving partitions are revoked); eager ones revoke every partition first.
   */
  readonly cooperative: boolean;
  assign(input: AssignorInput): Assignment;
}

/**
 * The order assignors walk members in: static members by instance id (so a restarted static
 * member, which comes back with a new member id, keeps its place), then member id.
 */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  const x = a.instanceId || `~${a.memberId}`;
  const y = b.instanceId || `~${b.memberId}`;
  return x < y ? -1 : x > y ? 1 : 0;
}

export const sortedMembers = (input: AssignorInput): AssignorMember[] =>
  [...input.members].sort(compareMembers);

/** Every partition of the subscribed, existing topics, sorted. */
export function subscribedPartitions(input: AssignorInput): TpKey[] {
  const topics = new Set(input.members.flatMap((m) => m.topics));
  const out: TpKey[] = [];
  for (const topic of [...topics].sort()) {
    const count = input.partitionCounts.get(topic) ?? 0;
    for (let p = 0; p < count; p++) out.push(tpKey(topic, p));
  }
  return out;
}

/** An assignment with an empty list per member, filled by `add`, returned sorted by `finish`. */
export function emptyAssignment(input: AssignorInput): Assignment {
  return new Map(input.members.map((m) => [m.memberId, []]));
}

export function finish(assignment: Assignment): Assignment {
  for (const list of assignment.values()) list.sort(compareTp);
  return assignment;
}
