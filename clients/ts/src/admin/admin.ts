/**
 * The admin client: topics, partitions, configs, cluster, groups. Topic and config calls go to
 * the active controller (found through BrokerService.Metadata, followed again after
 * NOT_CONTROLLER); group calls go to the group's coordinator (FindCoordinator); offsets are
 * looked up at partition leaders (ListOffsets). Each method throws a TributaryError naming the
 * failing topic, partition or group; per-item codes are not swallowed.
 */
import type { AclBinding, AclFilter } from '@tributary/auth';
import { TributaryError } from '@tributary/errors';
import {
  AlterConfigOp,
  type AlterConfigsResponse__Output,
  ConfigResourceType,
  ConfigSource,
  type CreatePartitionsResponse__Output,
  type CreateTopicsResponse__Output,
  type DeleteTopicsResponse__Output,
  type DescribeClusterResponse__Output,
  type DescribeConfigsResponse__Output,
  type DescribeTopicsResponse__Output,
  int64ToNumber,
  type PartitionMetadata__Output,
} from '@tributary/proto';
import { itemError } from '../errors';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';
import * as acls from './acl-admin';
import * as groups from './group-admin';
import { listOffsets } from './list-offsets';
import { alterPartitionReassignments, listPartitionReassignments } from './partition-reassignments';
import type {
  ClusterInfo,
  ConfigChange,
  ConfigResourceRef,
  ConfigValue,
  CreatedTopic,
  CreateTopicsOptions,
  GroupInfo,
  GroupListing,
  NewTopic,
  OffsetResetResult,
  OngoingReassignment,
  PartitionInfo,
  PartitionOffsets,
  ReassignmentChange,
  ReassignmentOutcome,
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

  /**
   * Starts, changes or cancels partition reassignments (KIP-455): each change's target replicas
   * (or `null` to cancel). Resolves with one outcome per change, an `error` on those that were
   * refused (and left unchanged); the rest proceed in the background (see
   * {@link listPartitionReassignments}). `throttleBytesPerSec` limits what each leader sends to
   * the replicas being added (0 = none); it ends with each partition's reassignment.
   */
  alterPartitionReassignments(
    changes: readonly ReassignmentChange[],
    options: { throttleBytesPerSec?: number } = {},
  ): Promise<ReassignmentOutcome[]> {
    return alterPartitionReassignments(this.cluster, changes, options.throttleBytesPerSec ?? 0);
  }

  /** The partition reassignments in progress (of the given topics; every topic's by default). */
  listPartitionReassignments(topics: readonly string[] = []): Promise<OngoingReassignment[]> {
    return listPartitionReassignments(this.cluster, topics);
  }

  /** Every group of the cluster. */
  listGroups(): Promise<GroupListing[]> {
    return groups.listGroups(this.cluster);
  }

  /** Describes groups: members, assignments, committed offsets and lag per partition. */
  describeGroups(groupIds: readonly string[]): Promise<GroupInfo[]> {
    return groups.describeGroups(this.cluster, groupIds);
  }

  /** A group's committed offsets per partition (-1 where nothing is committed). */
  fetchOffsets(
    groupId: string,
    topics: readonly string[] = [],
  ): Promise<Array<{ topic: string; partition: number; offset: number }>> {
    return groups.fetchOffsets(this.cluster, groupId, topics);
  }

  /** Deletes groups that have no active members, with their offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return groups.deleteGroups(this.cluster, groupIds);
  }

  /** Moves a group's committed offsets for one topic; the group must have no active members. */
  resetOffsets(options: ResetOffsetsOptions): Promise<OffsetResetResult[]> {
    return groups.resetOffsets(this.cluster, options);
  }

  /** Adds ACLs (docs/security.md); one that exists already is left as it is. */
  createAcls(bindings: readonly AclBinding[]): Promise<void> {
    return acls.createAcls(this.cluster, bindings);
  }

  /** The ACLs a filter selects; every field left out matches anything. */
  describeAcls(filter: AclFilter = {}): Promise<AclBinding[]> {
    return acls.describeAcls(this.cluster, filter);
  }

  /** Removes every ACL a filter selects, and returns them. */
  deleteAcls(filter: AclFilter): Promise<AclBinding[]> {
    return acls.deleteAcls(this.cluster, filter);
  }
}
