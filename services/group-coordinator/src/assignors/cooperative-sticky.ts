import { compareTp, parseTp, type TpKey } from '../topic-partition';
import {
  type Assignment,
  type Assignor,
  type AssignorInput,
  type AssignorMember,
  compareMembers,
  sortedMembers,
  subscribedPartitions,
} from './assignor';

/**
 * Cooperative-sticky (Kafka's CooperativeStickyAssignor, computed by the coordinator as in
 * KIP-848): balance first, then move as little as possible.
 *
 * 1. Every member keeps the partitions it owns that still exist and that it still subscribes to
 *    (a partition claimed twice stays with the first member in member order).
 * 2. Each partition left over goes to the eligible member with the fewest partitions.
 * 3. While some member A has a partition that a member B with at least two fewer partitions
 *    subscribes to, the last such partition of A moves to B (the most loaded A and least loaded
 *    B first). Each move lowers the sum of squared counts, so this ends; with equal
 *    subscriptions it ends balanced (no member more than one partition above another) after the
 *    fewest moves: a member joining N members with P partitions receives floor(P / (N + 1)).
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  cooperative: true,
  assign(input: AssignorInput): Assignment {
    const members = sortedMembers(input);
    const exists = new Set(subscribedPartitions(input));
    const held = new Map<string, Set<TpKey>>(members.map((m) => [m.memberId, new Set()]));
    const taken = new Set<TpKey>();

    for (const member of members) {
      const subscribed = new Set(member.topics);
      for (const tp of [...member.owned].sort(compareTp)) {
        if (!exists.has(tp) || taken.has(tp) || !subscribed.has(parseTp(tp).topic)) continue;
        taken.add(tp);
        held.get(member.memberId)!.add(tp);
      }
    }

    for (const tp of exists) {
      if (taken.has(tp)) continue;
      const { topic } = parseTp(tp);
      let best: AssignorMember | undefined;
      for (const member of members) {
        if (!member.topics.includes(topic)) continue;
        if (!best || held.get(member.memberId)!.size < held.get(best.memberId)!.size) best = member;
      }
      if (best) {
        held.get(best.memberId)!.add(tp);
        taken.add(tp);
      }
    }

    balance(members, held);
    return new Map(members.map((m) => [m.memberId, [...held.get(m.memberId)!].sort(compareTp)]));
  },
};

function balance(members: readonly AssignorMember[], held: Map<string, Set<TpKey>>): void {
  const size = (m: AssignorMember) => held.get(m.memberId)!.size;
  for (;;) {
    const descending = [...members].sort((a, b) => size(b) - size(a) || compareMembers(a, b));
    const ascending = [...descending].reverse();
    let moved = false;
    outer: for (const from of descending) {
      for (const to of ascending) {
        if (size(to) >= size(from) - 1) break;
        const topics = new Set(to.topics);
        const candidates = [...held.get(from.memberId)!].sort(compareTp).reverse();
        const tp = candidates.find((c) => topics.has(parseTp(c).topic));
        if (tp === undefined) continue;
        held.get(from.memberId)!.delete(tp);
        held.get(to.memberId)!.add(tp);
        moved = true;
        break outer;
      }
    }
    if (!moved) return;
  }
}
