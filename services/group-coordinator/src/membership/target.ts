import { TributaryError } from '@tributary/errors';
import type { Assignor } from '../assignors';
import type { TpKey } from '../topic-partition';
import type { Member } from './member';

/** Throws INCONSISTENT_GROUP_PROTOCOL when `assignors` share none with every one of `others`. */
export function checkProtocol(
  groupId: string,
  assignors: readonly string[],
  others: readonly Member[],
): void {
  const common = assignors.filter((a) => others.every((m) => m.assignors.includes(a)));
  if (common.length === 0) {
    throw new TributaryError(
      'INCONSISTENT_GROUP_PROTOCOL',
      `None of the assignors [${assignors.join(', ')}] is supported by every member of ${groupId}`,
    );
  }
}

/**
 * The group's assignor: the current one while every member supports it (no flip-flopping as
 * members come and go), else the first of the oldest member's preferences every member supports.
 */
export function chooseAssignor(members: readonly Member[], current: string): string {
  if (members.length === 0) return '';
  const common = (a: string) => members.every((m) => m.assignors.includes(a));
  if (current && common(current)) return current;
  return members[0]!.assignors.find(common) ?? members[0]!.assignors[0] ?? '';
}

/**
 * The target assignment of `members`: the assignor's answer over the existing partitions of their
 * topics, with each member's owned partitions (those it is not revoking) as the sticky input.
 */
export function computeTarget(
  members: readonly Member[],
  assignor: Assignor | undefined,
  partitionCount: (topic: string) => number | undefined,
): Map<Member, TpKey[]> {
  const partitionCounts = new Map<string, number>();
  for (const topic of new Set(members.flatMap((m) => m.topics))) {
    const count = partitionCount(topic);
    if (count !== undefined) partitionCounts.set(topic, count);
  }
  const result = assignor?.assign({
    partitionCounts,
    members: members.map((m) => ({
      memberId: m.memberId,
      instanceId: m.instanceId,
      topics: m.topics,
      owned: [...m.owned].filter((tp) => !m.pendingRevoke.has(tp)),
    })),
  });
  return new Map(members.map((m) => [m, result?.get(m.memberId) ?? []]));
}
