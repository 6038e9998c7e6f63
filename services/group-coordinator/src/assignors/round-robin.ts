import { parseTp } from '../topic-partition';
import {
  type Assignment,
  type Assignor,
  type AssignorInput,
  emptyAssignment,
  finish,
  sortedMembers,
  subscribedPartitions,
} from './assignor';

/**
 * Kafka's RoundRobinAssignor (eager): every partition of every subscribed topic in (topic,
 * partition) order goes to the next member, circularly, that subscribes to its topic. With equal
 * subscriptions no member has more than one partition above another.
 */
export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  cooperative: false,
  assign(input: AssignorInput): Assignment {
    const result = emptyAssignment(input);
    const members = sortedMembers(input);
    if (members.length === 0) return result;
    let cursor = 0;
    for (const tp of subscribedPartitions(input)) {
      const { topic } = parseTp(tp);
      for (let tried = 0; tried < members.length; tried++) {
        const member = members[(cursor + tried) % members.length]!;
        if (!member.topics.includes(topic)) continue;
        result.get(member.memberId)!.push(tp);
        cursor = (cursor + tried + 1) % members.length;
        break;
      }
    }
    return finish(result);
  },
};
