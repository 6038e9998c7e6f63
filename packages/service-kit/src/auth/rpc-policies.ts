import {
  type AclAuthorizer,
  CLUSTER_RESOURCE_NAME,
  type Operation,
  type ResourceType,
} from '@tributary/auth';
import { ErrorCode } from '@tributary/errors';
import type {
  AlterConfigsRequest__Output as AlterConfigs,
  AlterGroupOffsetsRequest__Output as AlterGroupOffsets,
  CommitOffsetsRequest__Output as CommitOffsets,
  ConfigResource__Output,
  CreatePartitionsRequest__Output as CreatePartitions,
  CreateTopicsRequest__Output as CreateTopics,
  DeleteGroupsRequest__Output as DeleteGroups,
  DeleteTopicsRequest__Output as DeleteTopics,
  DescribeConfigsRequest__Output as DescribeConfigs,
  DescribeGroupsRequest__Output as DescribeGroups,
  DescribeTopicsRequest__Output as DescribeTopics,
  FetchRequest__Output as Fetch,
  FetchOffsetsRequest__Output as FetchOffsets,
  FetchStreamRequest__Output as FetchStream,
  FindCoordinatorRequest__Output as FindCoordinator,
  GroupSessionRequest__Output as GroupSession,
  ListGroupsResponse__Output,
  ListOffsetsRequest__Output as ListOffsets,
  MetadataRequest__Output,
  MetadataResponse__Output,
  ProduceRequest__Output as Produce,
  ProduceStreamRequest__Output as ProduceStream,
} from '@tributary/proto';

/**
 * What every RPC of the contract needs (docs/security.md, "Authorization"): the one table of
 * authorization decisions, applied by `authorizeHandlers` around the handlers, so no handler
 * checks anything itself. Kafka's mapping of requests to ACL operations, with these choices:
 * - a request that names any resource the principal may not use is refused whole
 *   (PERMISSION_DENIED, trailer TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED), before the
 *   handler runs, so a refusal changes nothing;
 * - a stream is checked message by message, and a refused message ends the stream;
 * - Metadata and ListGroups answer with what the principal may describe: other topics and groups
 *   are left out, and a topic asked for by name comes back as TOPIC_AUTHORIZATION_FAILED.
 * An RPC without an entry here is refused for everyone but super users (rpc-policies.test.ts
 * fails for it, so a new RPC cannot ship without a decision).
 */

/** One resource a request touches, and what it does to it. */
export interface Access {
  readonly type: ResourceType;
  readonly name: string;
  readonly operation: Operation;
  /** Also allowed when the principal may do `operation` on the cluster (Kafka's CreateTopics). */
  readonly orCluster?: boolean;
}

/** The decision of one RPC, over its request (or stream message) type and response type. */
export interface RpcPolicy<Req = unknown, Res = unknown> {
  /** The resources one request (or one message of a stream) touches; all must be allowed. */
  accesses(request: Req): readonly Access[];
  /** Replaces the access check when the rule is not per resource (InitProducerId). */
  allowed?(request: Req, principal: string, authorizer: AclAuthorizer): boolean;
  /** Trims a response to what the principal may see. */
  filterResponse?(response: Res, request: Req, principal: string, authorizer: AclAuthorizer): Res;
}

/** Declares one entry with its message types (the table itself holds them untyped). */
const policy = <Req, Res = unknown>(p: RpcPolicy<Req, Res>): RpcPolicy => p as unknown as RpcPolicy;

type Named = { topic?: string; name?: string };

const cluster = (operation: Operation): Access => ({
  type: 'cluster',
  name: CLUSTER_RESOURCE_NAME,
  operation,
});
const topic = (name: string, operation: Operation, orCluster = false): Access => ({
  type: 'topic',
  name,
  operation,
  orCluster,
});
const group = (name: string, operation: Operation): Access => ({ type: 'group', name, operation });
const topicsOf = (items: readonly Named[] | null | undefined, operation: Operation): Access[] =>
  (items ?? []).map((t) => topic(t.topic ?? t.name ?? '', operation));
const namesOf = (names: readonly string[] | null | undefined, operation: Operation): Access[] =>
  (names ?? []).map((n) => topic(n, operation));

/** ConfigResourceType: TOPIC = 1, BROKER = 2 (a broker's configs are the cluster's). */
const configResources = (
  resources: readonly Pick<ConfigResource__Output, 'type' | 'name'>[] | null | undefined,
  operation: Operation,
): Access[] =>
  (resources ?? []).map((r) => (Number(r.type) === 1 ? topic(r.name, operation) : cluster(operation)));

const fetchStreamPartitions = (m: FetchStream): Named[] =>
  m.start?.partitions ?? m.update?.add ?? m.seek?.partitions ?? [];

export const RPC_POLICIES: Readonly<Record<string, RpcPolicy>> = {
  // BrokerService: the record path.
  'BrokerService/Produce': policy<Produce>({ accesses: (r) => topicsOf(r.topics, 'write') }),
  'BrokerService/ProduceStream': policy<ProduceStream>({
    accesses: (m) => topicsOf(m.request?.topics, 'write'),
  }),
  'BrokerService/Fetch': policy<Fetch>({ accesses: (r) => topicsOf(r.topics, 'read') }),
  'BrokerService/FetchStream': policy<FetchStream>({
    accesses: (m) => topicsOf(fetchStreamPartitions(m), 'read'),
  }),
  'BrokerService/ListOffsets': policy<ListOffsets>({ accesses: (r) => topicsOf(r.topics, 'describe') }),
  'BrokerService/Metadata': policy<MetadataRequest__Output, MetadataResponse__Output>({
    accesses: () => [],
    filterResponse: (response, request, principal, authorizer) => {
      const asked = new Set<string>(request.topics ?? []);
      const topics: MetadataResponse__Output['topics'] = [];
      for (const t of response.topics ?? []) {
        if (authorizer.authorize(principal, 'topic', t.name, 'describe')) topics.push(t);
        else if (asked.has(t.name))
          topics.push({
            ...t,
            errorCode:
              ErrorCode.TOPIC_AUTHORIZATION_FAILED as MetadataResponse__Output['topics'][number]['errorCode'],
            errorMessage: `not authorized to describe topic ${t.name}`,
            topicId: '',
            partitions: [],
          });
      }
      return { ...response, topics };
    },
  }),
  // ReplicationService: brokers only (Kafka's CLUSTER_ACTION).
  'ReplicationService/ReplicaFetch': policy({ accesses: () => [cluster('alter')] }),
  'ReplicationService/OffsetForLeaderEpoch': policy({ accesses: () => [cluster('alter')] }),
  // ControllerService: administration.
  'ControllerService/CreateTopics': policy<CreateTopics>({
    accesses: (r) => (r.topics ?? []).map((t) => topic(t.name, 'create', true)),
  }),
  'ControllerService/DeleteTopics': policy<DeleteTopics>({ accesses: (r) => namesOf(r.names, 'delete') }),
  'ControllerService/CreatePartitions': policy<CreatePartitions>({
    accesses: (r) => topicsOf(r.topics, 'alter'),
  }),
  'ControllerService/DescribeCluster': policy({ accesses: () => [cluster('describe')] }),
  'ControllerService/DescribeTopics': policy<DescribeTopics>({
    accesses: (r) => namesOf(r.names, 'describe'),
  }),
  'ControllerService/DescribeConfigs': policy<DescribeConfigs>({
    accesses: (r) => configResources(r.resources, 'describe'),
  }),
  'ControllerService/AlterConfigs': policy<AlterConfigs>({
    accesses: (r) => configResources(r.resources, 'alter'),
  }),
  'ControllerService/ElectLeaders': policy({ accesses: () => [cluster('alter')] }),
  // Kafka's rule for idempotent producers: write on the cluster, or on any topic.
  'ControllerService/InitProducerId': policy({
    accesses: () => [cluster('write')],
    allowed: (_r, principal, authorizer) =>
      authorizer.authorize(principal, 'cluster', CLUSTER_RESOURCE_NAME, 'write') ||
      authorizer.allowsAny(principal, 'topic', 'write'),
  }),
  'ControllerService/ControlledShutdown': policy({ accesses: () => [cluster('alter')] }),
  'ControllerService/AlterPartitionReassignments': policy({ accesses: () => [cluster('alter')] }),
  'ControllerService/ListPartitionReassignments': policy({ accesses: () => [cluster('describe')] }),
  'ControllerService/CreateAcls': policy({ accesses: () => [cluster('alter')] }),
  'ControllerService/DescribeAcls': policy({ accesses: () => [cluster('describe')] }),
  'ControllerService/DeleteAcls': policy({ accesses: () => [cluster('alter')] }),
  // GroupCoordinatorService: consumer groups.
  'GroupCoordinatorService/FindCoordinator': policy<FindCoordinator>({
    accesses: (r) => [group(r.groupId, 'describe')],
  }),
  'GroupCoordinatorService/GroupSession': policy<GroupSession>({
    accesses: (m) => (m.join ? [group(m.join.groupId, 'read')] : []),
  }),
  'GroupCoordinatorService/CommitOffsets': policy<CommitOffsets>({
    accesses: (r) => [group(r.groupId, 'read'), ...topicsOf(r.topics, 'read')],
  }),
  'GroupCoordinatorService/FetchOffsets': policy<FetchOffsets>({
    accesses: (r) => [group(r.groupId, 'describe'), ...topicsOf(r.topics, 'describe')],
  }),
  'GroupCoordinatorService/ListGroups': policy<unknown, ListGroupsResponse__Output>({
    accesses: () => [],
    filterResponse: (response, _request, principal, authorizer) => ({
      ...response,
      groups: (response.groups ?? []).filter((g) =>
        authorizer.authorize(principal, 'group', g.groupId, 'describe'),
      ),
    }),
  }),
  'GroupCoordinatorService/DescribeGroups': policy<DescribeGroups>({
    accesses: (r) => (r.groupIds ?? []).map((g) => group(g, 'describe')),
  }),
  'GroupCoordinatorService/DeleteGroups': policy<DeleteGroups>({
    accesses: (r) => (r.groupIds ?? []).map((g) => group(g, 'delete')),
  }),
  'GroupCoordinatorService/AlterGroupOffsets': policy<AlterGroupOffsets>({
    accesses: (r) => [group(r.groupId, 'read'), topic(r.topic, 'read')],
  }),
};

/** An RPC the table does not name: super users only. */
export const NO_POLICY: RpcPolicy = {
  accesses: () => [cluster('alter')],
  allowed: (_r, principal, authorizer) => authorizer.isSuperUser(principal),
};

/** The first access of `policy` that `principal` may not make, or undefined when all are allowed. */
export function deniedAccess(
  policy: RpcPolicy,
  request: unknown,
  principal: string,
  authorizer: AclAuthorizer,
): Access | undefined {
  if (policy.allowed)
    return policy.allowed(request, principal, authorizer)
      ? undefined
      : (policy.accesses(request)[0] ?? cluster('alter'));
  for (const access of policy.accesses(request)) {
    if (authorizer.authorize(principal, access.type, access.name, access.operation)) continue;
    if (
      access.orCluster &&
      authorizer.authorize(principal, 'cluster', CLUSTER_RESOURCE_NAME, access.operation)
    )
      continue;
    return access;
  }
  return undefined;
}
