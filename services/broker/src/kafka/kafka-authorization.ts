/**
 * ACLs on the Kafka listener (docs/security.md, "The Kafka listener"): every served API is
 * authorized by the same table as the gRPC RPC it maps to (`RPC_POLICIES`, service kit), so one
 * decision holds whichever door a request comes in by. This module only says, per Kafka API,
 * which RPC's rule applies and to what, and how Kafka reports a refusal — per item, as Kafka's
 * broker does:
 * - requests naming topics (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, CreateTopics,
 *   DeleteTopics, CreatePartitions, DescribeConfigs, OffsetCommit, OffsetFetch), groups
 *   (DescribeGroups, DeleteGroups, FindCoordinator v4) are split: the refused items are answered
 *   with TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED and never reach the handler, the rest is
 *   served as usual; when nothing is left the handler does not run at all;
 * - requests about one group or the cluster (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 *   OffsetCommit's and OffsetFetch's group, InitProducerId, DescribeCluster, FindCoordinator
 *   v0-3) are answered with the error code alone;
 * - Metadata and ListGroups (and OffsetFetch of every partition) answer only what the principal
 *   may describe; a topic asked for by name comes back TOPIC_AUTHORIZATION_FAILED.
 * The broker then proxies what was allowed to the controller and coordinators as its own
 * principal: the check here is the check. A served API with no entry is refused for everyone
 * (kafka-authorization.test.ts fails for it), as an RPC without a policy is.
 */
import type { AclAuthorizer } from '@tributary/auth';
import { kafkaErrorCode } from '@tributary/errors';
import { type Access, accessRefusal, deniedAccess, RPC_POLICIES } from '@tributary/service-kit';
import type { Message } from './protocol/schema';
import type { KafkaHandler, RequestContext, ServedApi } from './served-api';

/** Decides one access by the named RPC's rule; answers the refusal, or undefined when allowed. */
type Check = (rpc: string, request: object) => Refusal | undefined;

interface Refusal {
  /** Kafka error code (29, 30 or 31). */
  readonly errorCode: number;
  readonly errorMessage: string;
}

/** How one Kafka API is authorized: runs `handle` on what may run, answers the rest. */
type KafkaApiAuthorization = (
  body: Message,
  ctx: RequestContext,
  check: Check,
  handle: KafkaHandler,
) => Promise<Message | undefined> | Message | undefined;

/** APIs anyone may send (what the listener speaks, and authentication itself). */
export const OPEN_KAFKA_APIS: ReadonlySet<number> = new Set([18, 17, 36]);

/** Wraps every served API (but the open ones) with its authorization; mutates `served`. */
export function authorizeKafkaApis(served: Map<number, ServedApi>, authorizer: () => AclAuthorizer): void {
  for (const [key, { api, handle }] of served) {
    if (OPEN_KAFKA_APIS.has(key)) continue;
    const rule = KAFKA_AUTHORIZATION[key] ?? refuseAll;
    served.set(key, {
      api,
      handle: (body, ctx) => {
        const principal = ctx.session.principal;
        if (principal === undefined) throw new Error(`${api.name} reached authorization unauthenticated`);
        const acl = authorizer();
        const check: Check = (rpc, request) => {
          const denied = deniedAccess(RPC_POLICIES[rpc]!, request, principal, acl);
          return denied === undefined ? undefined : refusalOf(`Kafka ${api.name}`, principal, denied);
        };
        return rule(body, ctx, check, handle);
      },
    });
  }
}

function refusalOf(method: string, principal: string, access: Access): Refusal {
  const err = accessRefusal(method, principal, access);
  return { errorCode: kafkaErrorCode(err.code), errorMessage: err.message };
}

/** An API the table does not know: refused for everyone (it cannot ship without a decision). */
const refuseAll: KafkaApiAuthorization = () => {
  throw new Error('this Kafka API has no authorization rule');
};

/**
 * Items of a request list, each checked alone; refused ones answered by `refused`, the others
 * handled. `respond` is the response field the refused items join.
 */
function perItem<T>(options: {
  items: string;
  respond: string;
  access: (item: T, body: Message) => [rpc: string, request: object];
  refused: (item: T, refusal: Refusal, ctx: RequestContext) => Message;
  /** The answer when every item is refused (default: the refused items alone). */
  nothingLeft?: (body: Message) => Message | undefined;
}): KafkaApiAuthorization {
  return async (body, ctx, check, handle) => {
    const items = (body[options.items] as T[] | null) ?? [];
    const allowed: T[] = [];
    const refusedItems: Message[] = [];
    for (const item of items) {
      const refusal = check(...options.access(item, body));
      if (refusal === undefined) allowed.push(item);
      else refusedItems.push(options.refused(item, refusal, ctx));
    }
    if (refusedItems.length === 0) return handle(body, ctx);
    if (allowed.length === 0) {
      const empty = options.nothingLeft ? options.nothingLeft(body) : {};
      return empty === undefined ? undefined : { ...empty, [options.respond]: refusedItems };
    }
    const response = await handle({ ...body, [options.items]: allowed }, ctx);
    if (response === undefined) return undefined;
    return {
      ...response,
      [options.respond]: [...((response[options.respond] as Message[]) ?? []), ...refusedItems],
    };
  };
}

/** A request about one resource: refused whole with `refused`, or handled. */
function whole(
  access: (body: Message) => [rpc: string, request: object],
  refused: (refusal: Refusal, body: Message) => Message,
): KafkaApiAuthorization {
  return (body, ctx, check, handle) => {
    const refusal = check(...access(body));
    return refusal === undefined ? handle(body, ctx) : refused(refusal, body);
  };
}

/** Both rules in turn: the first refusal answers. */
function both(first: KafkaApiAuthorization, second: KafkaApiAuthorization): KafkaApiAuthorization {
  return (body, ctx, check, handle) => first(body, ctx, check, (b, c) => second(b, c, check, handle));
}

type TopicPartitions<P> = { name: string; topic: string; partitions: P[]; partitionData: P[] };

const groupSession = (groupId: unknown): [string, object] => [
  'GroupCoordinatorService/GroupSession',
  { join: { groupId: String(groupId) } },
];
const describeTopic = (name: string): [string, object] => [
  'ControllerService/DescribeTopics',
  { names: [name] },
];
const describeGroup = (groupId: string): [string, object] => [
  'GroupCoordinatorService/DescribeGroups',
  { groupIds: [groupId] },
];
/** Kafka's config resource types TOPIC (2) and BROKER (4) as Tributary's TOPIC (1) and BROKER (2). */
const KAFKA_TOPIC_RESOURCE = 2;

/** Metadata: only topics the principal may describe; one asked for by name is refused by name. */
const metadata: KafkaApiAuthorization = async (body, ctx, check, handle) => {
  const response = await handle(body, ctx);
  if (response === undefined) return undefined;
  const asked = new Set(((body['topics'] as { name: string | null }[] | null) ?? []).map((t) => t.name));
  const topics: Message[] = [];
  for (const t of (response['topics'] as Message[]) ?? []) {
    const name = String(t['name']);
    const refusal = check(...describeTopic(name));
    if (refusal === undefined) topics.push(t);
    else if (asked.has(name))
      topics.push({ name, errorCode: refusal.errorCode, isInternal: false, partitions: [] });
  }
  return { ...response, topics };
};

/** The rule of every served API but the open ones, by API key. */
export const KAFKA_AUTHORIZATION: Readonly<Record<number, KafkaApiAuthorization>> = {
  // Produce (0): write on each topic; acks 0 answers nothing, refused or not.
  0: perItem<TopicPartitions<{ index: number }>>({
    items: 'topicData',
    respond: 'responses',
    access: (t) => ['BrokerService/Produce', { topics: [{ topic: t.name }] }],
    refused: (t, r) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => ({
        index: p.index,
        errorCode: r.errorCode,
        baseOffset: -1,
        recordErrors: [],
        errorMessage: r.errorMessage,
      })),
    }),
    nothingLeft: (body) => (body['acks'] === 0 ? undefined : { throttleTimeMs: 0 }),
  }),
  // Fetch (1): read on each topic.
  1: perItem<TopicPartitions<{ partition: number }>>({
    items: 'topics',
    respond: 'responses',
    access: (t) => ['BrokerService/Fetch', { topics: [{ topic: t.topic }] }],
    refused: (t, r) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partition,
        errorCode: r.errorCode,
        highWatermark: -1,
        records: null,
      })),
    }),
  }),
  // ListOffsets (2): describe on each topic.
  2: perItem<TopicPartitions<{ partitionIndex: number }>>({
    items: 'topics',
    respond: 'topics',
    access: (t) => ['BrokerService/ListOffsets', { topics: [{ topic: t.name }] }],
    refused: (t, r) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: r.errorCode })),
    }),
  }),
  3: metadata,
  // OffsetCommit (8): read on the group, then read on each topic.
  8: both(
    whole(
      (b) => ['GroupCoordinatorService/CommitOffsets', { groupId: b['groupId'], topics: [] }],
      (r, b) => ({
        topics: (b['topics'] as TopicPartitions<{ partitionIndex: number }>[]).map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: r.errorCode })),
        })),
      }),
    ),
    perItem<TopicPartitions<{ partitionIndex: number }>>({
      items: 'topics',
      respond: 'topics',
      access: (t, b) => [
        'GroupCoordinatorService/CommitOffsets',
        { groupId: b['groupId'], topics: [{ topic: t.name }] },
      ],
      refused: (t, r) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: r.errorCode })),
      }),
    }),
  ),
  // OffsetFetch (9): describe on the group, then on each topic (all partitions: the describable ones).
  9: both(
    whole(
      (b) => ['GroupCoordinatorService/FetchOffsets', { groupId: b['groupId'], topics: [] }],
      (r) => ({ topics: [], errorCode: r.errorCode }),
    ),
    async (body, ctx, check, handle) => {
      const access = (name: string): [string, object] => [
        'GroupCoordinatorService/FetchOffsets',
        { groupId: body['groupId'], topics: [{ topic: name }] },
      ];
      if (body['topics'] !== null)
        return perItem<{ name: string; partitionIndexes: number[] }>({
          items: 'topics',
          respond: 'topics',
          access: (t) => access(t.name),
          refused: (t, r) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({
              partitionIndex: i,
              committedOffset: -1,
              metadata: '',
              errorCode: r.errorCode,
            })),
          }),
        })(body, ctx, check, handle);
      const response = await handle(body, ctx);
      if (response === undefined) return undefined;
      const topics = (response['topics'] as Message[]).filter((t) => !check(...access(String(t['name']))));
      return { ...response, topics };
    },
  ),
  // FindCoordinator (10): describe on the group (transaction coordinators are not served anyway).
  10: (body, ctx, check, handle) => {
    if (body['keyType'] !== 0) return handle(body, ctx);
    const refused = (key: string, r: Refusal): Message => ({
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
    });
    if (ctx.version < 4)
      return whole(
        (b) => ['GroupCoordinatorService/FindCoordinator', { groupId: String(b['key']) }],
        (r, b) => ({ throttleTimeMs: 0, ...refused(String(b['key']), r) }),
      )(body, ctx, check, handle);
    return perItem<string>({
      items: 'coordinatorKeys',
      respond: 'coordinators',
      access: (key) => ['GroupCoordinatorService/FindCoordinator', { groupId: key }],
      refused: (key, r) => refused(key, r),
    })(body, ctx, check, handle);
  },
  // JoinGroup, Heartbeat, LeaveGroup, SyncGroup (11-14): read on the group.
  11: whole(
    (b) => groupSession(b['groupId']),
    (r, b) => ({
      errorCode: r.errorCode,
      generationId: -1,
      protocolName: '',
      leader: '',
      memberId: b['memberId'],
      members: [],
    }),
  ),
  12: whole(
    (b) => groupSession(b['groupId']),
    (r) => ({ errorCode: r.errorCode }),
  ),
  13: whole(
    (b) => groupSession(b['groupId']),
    (r) => ({ errorCode: r.errorCode, members: [] }),
  ),
  14: whole(
    (b) => groupSession(b['groupId']),
    (r) => ({ errorCode: r.errorCode, assignment: Buffer.alloc(0) }),
  ),
  // DescribeGroups (15): describe on each group.
  15: perItem<string>({
    items: 'groups',
    respond: 'groups',
    access: describeGroup,
    refused: (groupId, r) => ({
      errorCode: r.errorCode,
      groupId,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
    }),
  }),
  // ListGroups (16): only the groups the principal may describe.
  16: async (body, ctx, check, handle) => {
    const response = await handle(body, ctx);
    if (response === undefined) return undefined;
    const groups = (response['groups'] as { groupId: string }[]).filter(
      (g) => !check(...describeGroup(g.groupId)),
    );
    return { ...response, groups };
  },
  // CreateTopics (19): create on each topic, or on the cluster.
  19: perItem<{ name: string }>({
    items: 'topics',
    respond: 'topics',
    access: (t) => ['ControllerService/CreateTopics', { topics: [{ name: t.name }] }],
    refused: (t, r) => ({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage }),
  }),
  // DeleteTopics (20): delete on each topic.
  20: perItem<string>({
    items: 'topicNames',
    respond: 'responses',
    access: (name) => ['ControllerService/DeleteTopics', { names: [name] }],
    refused: (name, r) => ({ name, errorCode: r.errorCode, errorMessage: r.errorMessage }),
  }),
  // InitProducerId (22): write on the cluster or on any topic (idempotent producers).
  22: whole(
    () => ['ControllerService/InitProducerId', {}],
    (r) => ({ throttleTimeMs: 0, errorCode: r.errorCode, producerId: -1, producerEpoch: -1 }),
  ),
  // OffsetForLeaderEpoch (23): from a consumer, describe on each topic (Kafka's rule for clients).
  23: perItem<TopicPartitions<{ partition: number }>>({
    items: 'topics',
    respond: 'topics',
    access: (t) => ['BrokerService/ListOffsets', { topics: [{ topic: t.topic }] }],
    refused: (t, r) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => ({ errorCode: r.errorCode, partition: p.partition })),
    }),
  }),
  // DescribeConfigs (32): describe on each topic, or on the cluster for a broker's configs.
  32: perItem<{ resourceType: number; resourceName: string }>({
    items: 'resources',
    respond: 'results',
    access: (res) => [
      'ControllerService/DescribeConfigs',
      { resources: [{ type: res.resourceType === KAFKA_TOPIC_RESOURCE ? 1 : 2, name: res.resourceName }] },
    ],
    refused: (res, r) => ({
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      resourceType: res.resourceType,
      resourceName: res.resourceName,
      configs: [],
    }),
  }),
  // CreatePartitions (37): alter on each topic.
  37: perItem<{ name: string }>({
    items: 'topics',
    respond: 'results',
    access: (t) => ['ControllerService/CreatePartitions', { topics: [{ topic: t.name }] }],
    refused: (t, r) => ({ name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage }),
  }),
  // DeleteGroups (42): delete on each group.
  42: perItem<string>({
    items: 'groupsNames',
    respond: 'results',
    access: (groupId) => ['GroupCoordinatorService/DeleteGroups', { groupIds: [groupId] }],
    refused: (groupId, r) => ({ groupId, errorCode: r.errorCode }),
  }),
  // DescribeCluster (60): describe on the cluster.
  60: whole(
    () => ['ControllerService/DescribeCluster', {}],
    (r) => ({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      clusterId: '',
      brokers: [],
    }),
  ),
};
