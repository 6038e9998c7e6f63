/**
 * ListGroups and DescribeGroups over Kafka, from the coordinators' ListGroups and DescribeGroups.
 * States are Kafka's names; a group no coordinator knows is described as Dead with no error, as
 * Kafka does. Member metadata and assignments are re-encoded in the consumer protocol, so Kafka's
 * tools (kafka-consumer-groups --describe --members) can read them.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type {
  DeleteGroupsRequest,
  DeleteGroupsResponse__Output,
  DescribeGroupsRequest,
  DescribeGroupsResponse__Output,
  ListGroupsRequest,
  ListGroupsResponse__Output,
} from '@tributary/proto';
import { type ClusterClients, callUnary } from '../cluster-clients';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';
import { encodeAssignment, encodeSubscription } from './consumer-protocol';

/** Tributary's GroupState enum values and Kafka's state names. */
const STATES: Readonly<Record<number, string>> = {
  1: 'Empty',
  2: 'PreparingRebalance',
  3: 'Stable',
  4: 'Dead',
};
const STATE_NUMBERS: Readonly<Record<string, number>> = {
  GROUP_STATE_EMPTY: 1,
  GROUP_STATE_REBALANCING: 2,
  GROUP_STATE_STABLE: 3,
  GROUP_STATE_DEAD: 4,
};
const stateName = (state: unknown): string =>
  STATES[typeof state === 'number' ? state : (STATE_NUMBERS[String(state)] ?? 0)] ?? 'Unknown';

const codeOf = (err: unknown): number => (err instanceof TributaryError ? err.code : 1000);

export function listGroupsHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const filter = new Set(((body['statesFilter'] as string[]) ?? []).map((s) => s.toLowerCase()));
    try {
      const any = clients.coordinator();
      const res = await callUnary<ListGroupsRequest, ListGroupsResponse__Output>(any, any.ListGroups, {});
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: res.groups
          .map((g) => ({ groupId: g.groupId, protocolType: 'consumer', groupState: stateName(g.state) }))
          .filter((g) => filter.size === 0 || filter.has(g.groupState.toLowerCase())),
      };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode(codeOf(err)), groups: [] };
    }
  };
}

export function describeGroupsHandler(clients: ClusterClients): KafkaHandler {
  const describeOne = async (groupId: string): Promise<Message> => {
    const dead = (errorCode: number): Message => ({
      errorCode,
      groupId,
      groupState: 'Dead',
      protocolType: '',
      protocolData: '',
      members: [],
    });
    try {
      const coordinator = await clients.groupCoordinator(groupId);
      const res = await callUnary<DescribeGroupsRequest, DescribeGroupsResponse__Output>(
        coordinator,
        coordinator.DescribeGroups,
        { groupIds: [groupId] },
      );
      const g = res.groups[0];
      if (g === undefined) return dead(0);
      const code = Number(g.errorCode);
      if (code === 69 /* GROUP_ID_NOT_FOUND */) return dead(0);
      if (code !== 0) {
        if (code === 16 /* NOT_COORDINATOR */) clients.forgetGroup(groupId);
        return dead(kafkaErrorCode(code));
      }
      return {
        errorCode: 0,
        groupId,
        groupState: stateName(g.state),
        protocolType: 'consumer',
        protocolData: g.assignor,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId || null,
          clientId: m.clientId,
          clientHost: m.host.startsWith('/') ? m.host : `/${m.host}`,
          memberMetadata: encodeSubscription(m.subscribedTopics),
          memberAssignment: encodeAssignment(m.assignment),
        })),
      };
    } catch (err) {
      if (err instanceof TributaryError && err.errorName === 'NOT_COORDINATOR') clients.forgetGroup(groupId);
      return dead(kafkaErrorCode(codeOf(err)));
    }
  };
  return async (body) => ({
    throttleTimeMs: 0,
    groups: await Promise.all((body['groups'] as string[]).map(describeOne)),
  });
}

export function deleteGroupsHandler(clients: ClusterClients): KafkaHandler {
  const deleteOne = async (groupId: string): Promise<Message> => {
    try {
      const coordinator = await clients.groupCoordinator(groupId);
      const res = await callUnary<DeleteGroupsRequest, DeleteGroupsResponse__Output>(
        coordinator,
        coordinator.DeleteGroups,
        { groupIds: [groupId] },
      );
      const code = Number(res.results[0]?.errorCode ?? 0);
      if (code === 16 /* NOT_COORDINATOR */) clients.forgetGroup(groupId);
      return { groupId, errorCode: kafkaErrorCode(code) };
    } catch (err) {
      return { groupId, errorCode: kafkaErrorCode(codeOf(err)) };
    }
  };
  return async (body) => ({
    throttleTimeMs: 0,
    results: await Promise.all((body['groupsNames'] as string[]).map(deleteOne)),
  });
}
