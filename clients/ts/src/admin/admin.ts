/**
 * The admin client: topics, partitions, configs, cluster, groups. Topic and config calls go to
 * the active controller (found through BrokerService.Metadata, followed again after
 * NOT_CONTROLLER); group calls go to the group's coordinator (FindCoordinator); offsets are
 * looked up at partition leaders (ListOffsets). Each method throws a TributaryError naming the
 * failing topic, partition or group; per-item codes are not swallowed.
 */
import { TributaryError } from '@tributary/errors';
import {
  AlterConfigOp,
  type AlterConfigsResponse__Output,
  type AlterGroupOffsetsRequest,
  type AlterGroupOffsetsResponse__Output,
  ConfigResourceType,
  ConfigSource,
  type CreatePartitionsResponse__Output,
  type CreateTopicsResponse__Output,
  type DeleteGroupsResponse__Output,
  type DeleteTopicsResponse__Output,
  type DescribeClusterResponse__Output,
  type DescribeConfigsResponse__Output,
  type DescribeGroupsResponse__Output,
  type DescribeTopicsResponse__Output,
  type FetchOffsetsResponse__Output,
  GroupState,
  int64ToNumber,
  type ListGroupsResponse__Output,
  type PartitionMetadata__Output,
} from '@tributary/proto';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';
import { listOffsets } from './list-offsets';
import type {
  ClusterInfo,
  ConfigChange,
  ConfigResourceRef,
  ConfigValue,
  CreatedTopic,
  CreateTopicsOptions,
  GroupInfo,
  GroupListing,
  GroupStateName,
  NewTopic,
  OffsetResetResult,
  PartitionInfo,
  PartitionOffsets,
  ResetOffsetsOptions,
  ResourceConfigs,
  TopicInfo,
} from './types';

const n = (v: string, field: string) => int64ToNumber(v, field);

function check(code: number, message: string, context: Record<string, string | number>): void {
  if (code !== 0) throw itemError(code, message, context);
}

function partitionInfo(p: PartitionMetadata__Output): PartitionInfo {
  return {
    partition: p.partition,
    leader: p.leaderId,
    leaderEpoch: n(p.leaderEpoch, 'leader_epoch'),
    replicas: [...p.replicas],
    isr: [...p.isr],
    offlineReplicas: [...p.offlineReplicas],
  };
}

function stateName(state: number): GroupStateName {
  switch (state) {
    case GroupState.GROUP_STATE_EMPTY:
      return 'Empty';
    case GroupState.GROUP_STATE_REBALANCING:
      return 'Rebalancing';
    case GroupState.GROUP_STATE_STABLE:
      return 'Stable';
    case GroupState.GROUP_STATE_DEAD:
      return 'Dead';
    default:
      return 'Unknown';
  }
}

function sourceName(source: number): ConfigValue['source'] {
  if (source === ConfigSource.CONFIG_SOURCE_DEFAULT) return 'default';
  if (source === ConfigSource.CONFIG_SOURCE_BROKER) return 'broker';
  if (source === ConfigSource.CONFIG_SOURCE_TOPIC) return 'topic';
  return 'unknown';
}

export class Admin {
  /** @internal Built by `Tributary.admin()`. */
  constructor(private readonly cluster: Cluster) {}

  /** Creates topics; throws the first topic's error (TOPIC_ALREADY_EXISTS, INVALID_*, ...). */
  async createTopics(
    topics: readonly NewTopic[],
    options: CreateTopicsOptions = {},
  ): Promise<CreatedTopic[]> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<CreateTopicsResponse__Output>((cb) =>
        c.CreateTopics(
          {
            topics: topics.map((t) => ({
              name: t.name,
              numPartitions: t.numPartitions ?? 0,
              replicationFactor: t.replicationFactor ?? 0,
              configs: { ...t.configs },
            })),
            validateOnly: options.validateOnly ?? false,
            timeoutMs: options.timeoutMs ?? 10_000,
          },
          { deadline },
          cb,
        ),
      ),
    );
    return res.topics.map((t) => {
      check(t.errorCode, t.errorMessage, { topic: t.name });
      return {
        name: t.name,
        topicId: t.topicId,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
      };
    });
  }

  /** Deletes topics; throws the first topic's error (UNKNOWN_TOPIC_OR_PARTITION, ...). */
  async deleteTopics(names: readonly string[]): Promise<void> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<DeleteTopicsResponse__Output>((cb) =>
        c.DeleteTopics({ names: [...names] }, { deadline }, cb),
      ),
    );
    for (const t of res.topics) check(t.errorCode, t.errorMessage, { topic: t.name });
  }

  /** Raises topics' partition counts to `count` (totals, not increments). */
  async createPartitions(topics: ReadonlyArray<{ topic: string; count: number }>): Promise<void> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<CreatePartitionsResponse__Output>((cb) =>
        c.CreatePartitions(
          { topics: topics.map((t) => ({ name: t.topic, count: t.count })) },
          { deadline },
          cb,
        ),
      ),
    );
    for (const t of res.topics) check(t.errorCode, t.errorMessage, { topic: t.name });
  }

  /** Topic names, sorted (from any broker's metadata). */
  async listTopics(): Promise<string[]> {
    const md = await this.cluster.metadata();
    return md.topics
      .filter((t) => t.errorCode === 0)
      .map((t) => t.name)
      .sort();
  }

  /** Describes topics (every topic when `names` is empty). */
  async describeTopics(names: readonly string[] = []): Promise<TopicInfo[]> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<DescribeTopicsResponse__Output>((cb) =>
        c.DescribeTopics({ names: [...names] }, { deadline }, cb),
      ),
    );
    return res.topics.map((t) => {
      check(t.errorCode, t.errorMessage, { topic: t.name });
      return {
        name: t.name,
        topicId: t.topicId,
        partitions: t.partitions.map(partitionInfo).sort((a, b) => a.partition - b.partition),
        configs: { ...t.configs },
      };
    });
  }

  /** Earliest and latest offsets of every partition of `topic`. */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const md = await this.cluster.metadata([topic]);
    const t = md.topics[0];
    if (t === undefined) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic ${topic}`);
    check(t.errorCode, t.errorMessage, { topic });
    const partitions = t.partitions.map((p) => p.partition);
    const [earliest, latest] = await Promise.all([
      listOffsets(this.cluster, topic, partitions, { spec: 'earliest' }),
      listOffsets(this.cluster, topic, partitions, { spec: 'latest' }),
    ]);
    return partitions
      .sort((a, b) => a - b)
      .map((p) => ({ partition: p, earliest: earliest.get(p) ?? -1, latest: latest.get(p) ?? -1 }));
  }

  /** The first offset of each partition whose record timestamp is >= `timestamp` (-1: none). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<Map<number, number>> {
    const md = await this.cluster.metadata([topic]);
    const t = md.topics[0];
    if (t === undefined) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Unknown topic ${topic}`);
    check(t.errorCode, t.errorMessage, { topic });
    return listOffsets(
      this.cluster,
      topic,
      t.partitions.map((p) => p.partition),
      { spec: 'timestamp', timestamp },
    );
  }

  /** Effective configs with their sources. */
  async describeConfigs(resources: readonly ConfigResourceRef[]): Promise<ResourceConfigs[]> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<DescribeConfigsResponse__Output>((cb) =>
        c.DescribeConfigs(
          {
            resources: resources.map((r) => ({
              type:
                r.type === 'topic'
                  ? ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC
                  : ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER,
              name: r.name,
              configNames: [...(r.configNames ?? [])],
            })),
          },
          { deadline },
          cb,
        ),
      ),
    );
    return res.results.map((r) => {
      const type = r.type === ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER ? 'broker' : 'topic';
      check(r.errorCode, r.errorMessage, { [type]: r.name });
      return {
        type,
        name: r.name,
        entries: r.entries.map((e) => ({
          name: e.name,
          value: e.value,
          source: sourceName(e.source),
          readOnly: e.readOnly,
          isSensitive: e.isSensitive,
        })),
      };
    });
  }

  /** Sets and deletes topic config overrides; other entries keep their values. */
  async alterConfigs(
    changes: readonly ConfigChange[],
    options: { validateOnly?: boolean } = {},
  ): Promise<void> {
    const res = await this.cluster.controller((c, deadline) =>
      promisify<AlterConfigsResponse__Output>((cb) =>
        c.AlterConfigs(
          {
            validateOnly: options.validateOnly ?? false,
            resources: changes.map((ch) => ({
              type: ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC,
              name: ch.topic,
              configs: [
                ...Object.entries(ch.set ?? {}).map(([name, value]) => ({
                  name,
                  value,
                  op: AlterConfigOp.ALTER_CONFIG_OP_SET,
                })),
                ...(ch.delete ?? []).map((name) => ({
                  name,
                  value: '',
                  op: AlterConfigOp.ALTER_CONFIG_OP_DELETE,
                })),
              ],
            })),
          },
          { deadline },
          cb,
        ),
      ),
    );
    for (const r of res.results) check(r.errorCode, r.errorMessage, { topic: r.name });
  }

  /** Controller, brokers, coordinators, and partitions that are under-replicated or offline. */
  async describeCluster(): Promise<ClusterInfo> {
    const [res, md] = await Promise.all([
      this.cluster.controller((c, deadline) =>
        promisify<DescribeClusterResponse__Output>((cb) => c.DescribeCluster({}, { deadline }, cb)),
      ),
      this.cluster.metadata(),
    ]);
    const under: ClusterInfo['underReplicatedPartitions'] = [];
    const offline: ClusterInfo['offlinePartitions'] = [];
    for (const t of md.topics) {
      for (const p of t.partitions) {
        if (p.isr.length < p.replicas.length)
          under.push({ topic: t.name, partition: p.partition, replicas: [...p.replicas], isr: [...p.isr] });
        if (p.leaderId < 0) offline.push({ topic: t.name, partition: p.partition });
      }
    }
    const controller = res.controller ?? undefined;
    return {
      clusterId: res.clusterId,
      controller:
        controller === undefined
          ? undefined
          : { id: controller.controllerId, host: controller.host, port: controller.port },
      controllerEpoch: n(res.controllerEpoch, 'controller_epoch'),
      brokers: res.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
      coordinators: res.coordinators.map((c) => ({ id: c.coordinatorId, host: c.host, port: c.port })),
      underReplicatedPartitions: under,
      offlinePartitions: offline,
    };
  }

  /** Every group of the cluster. */
  async listGroups(): Promise<GroupListing[]> {
    const client = await this.cluster.anyCoordinator();
    const deadline = new Date(Date.now() + this.cluster.timeoutMs);
    const res = await promisify<ListGroupsResponse__Output>((cb) =>
      client.ListGroups({ states: [] }, { deadline }, cb),
    );
    return res.groups.map((g) => ({
      groupId: g.groupId,
      state: stateName(g.state),
      assignor: g.assignor,
      memberCount: g.memberCount,
    }));
  }

  /** Describes groups: members, assignments, committed offsets and lag per partition. */
  async describeGroups(groupIds: readonly string[]): Promise<GroupInfo[]> {
    return Promise.all(
      groupIds.map(async (groupId) => {
        const res = await this.cluster.group(groupId, (c, deadline) =>
          promisify<DescribeGroupsResponse__Output>((cb) =>
            c.DescribeGroups({ groupIds: [groupId] }, { deadline }, cb),
          ),
        );
        const g = res.groups[0];
        if (g === undefined) throw new TributaryError('GROUP_ID_NOT_FOUND', `Group ${groupId} not found`);
        check(g.errorCode, g.errorMessage, { group: groupId });
        const partitions = g.partitions
          .map((p) => ({
            topic: p.topic,
            partition: p.partition,
            committedOffset: n(p.committedOffset, 'committed_offset'),
            logEndOffset: n(p.logEndOffset, 'log_end_offset'),
            lag: n(p.lag, 'lag'),
            owner: p.ownerMemberId,
          }))
          .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
        return {
          groupId: g.groupId,
          state: stateName(g.state),
          assignor: g.assignor,
          generationId: g.generationId,
          coordinatorId: g.coordinatorId,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            host: m.host,
            subscribedTopics: [...m.subscribedTopics],
            assignment: m.assignment.map((a) => ({ topic: a.topic, partitions: [...a.partitions] })),
          })),
          partitions,
          totalLag: partitions.reduce((sum, p) => sum + Math.max(0, p.lag), 0),
        };
      }),
    );
  }

  /** A group's committed offsets per partition (-1 where nothing is committed). */
  async fetchOffsets(
    groupId: string,
    topics: readonly string[] = [],
  ): Promise<Array<{ topic: string; partition: number; offset: number }>> {
    const res = await this.cluster.group(groupId, (c, deadline) =>
      promisify<FetchOffsetsResponse__Output>((cb) =>
        c.FetchOffsets(
          { groupId, topics: topics.map((topic) => ({ topic, partitions: [] })) },
          { deadline },
          cb,
        ),
      ),
    );
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        check(p.errorCode, p.errorMessage, { group: groupId, topic: t.topic, partition: p.partition });
        out.push({ topic: t.topic, partition: p.partition, offset: n(p.offset, 'offset') });
      }
    }
    return out;
  }

  /** Deletes groups that have no active members, with their offsets. */
  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const groupId of groupIds) {
      const res = await this.cluster.group(groupId, (c, deadline) =>
        promisify<DeleteGroupsResponse__Output>((cb) =>
          c.DeleteGroups({ groupIds: [groupId] }, { deadline }, cb),
        ),
      );
      for (const r of res.results) check(r.errorCode, r.errorMessage, { group: r.groupId });
    }
  }

  /** Moves a group's committed offsets for one topic; the group must have no active members. */
  async resetOffsets(options: ResetOffsetsOptions): Promise<OffsetResetResult[]> {
    const { groupId, topic, reset } = options;
    const request: AlterGroupOffsetsRequest = {
      groupId,
      topic,
      partitions: [...(options.partitions ?? [])],
      dryRun: options.dryRun ?? false,
    };
    if (reset.to === 'earliest') request.toEarliest = true;
    else if (reset.to === 'latest') request.toLatest = true;
    else if (reset.to === 'offset') request.toOffset = reset.offset;
    else if (reset.to === 'timestamp') request.toTimestampMs = reset.timestamp;
    else request.shiftBy = reset.by;
    const res = await this.cluster.group(groupId, (c, deadline) =>
      promisify<AlterGroupOffsetsResponse__Output>((cb) => c.AlterGroupOffsets(request, { deadline }, cb)),
    );
    return res.partitions
      .map((p) => {
        check(p.errorCode, p.errorMessage, { group: groupId, topic, partition: p.partition });
        return {
          partition: p.partition,
          previousOffset: n(p.previousOffset, 'previous_offset'),
          newOffset: n(p.newOffset, 'new_offset'),
        };
      })
      .sort((a, b) => a.partition - b.partition);
  }
}
