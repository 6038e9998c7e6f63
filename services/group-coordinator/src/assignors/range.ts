import { tpKey } from '../topic-partition';
import {
  type Assignment,
  type Assignor,
  type AssignorInput,
  emptyAssignment,
  finish,
  sortedMembers,
} from './assignor';

/**
 * Kafka's RangeAssignor (eager): per topic, the subscribers in member order each take a
 * contiguous range, the first `count % subscribers` one partition more. Balanced per topic;
 * across several topics the first members carry the remainders of every topic.
 */
export const rangeAssignor: Assignor = {
  name: 'range',
  cooperative: false,
  assign(input: AssignorInput): Assignment {
    const result = emptyAssignment(input);
    const members = sortedMembers(input);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = input.partitionCounts.get(topic) ?? 0;
      const subscribers = members.filter((m) => m.topics.includes(topic));
      if (count === 0 || subscribers.length === 0) continue;
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((member, i) => {
        const take = per + (i < extra ? 1 : 0);
        const list = result.get(member.memberId)!;
        for (let k = 0; k < take; k++) list.push(tpKey(topic, next++));
      });
    }
    return finish(result);
  },
};
