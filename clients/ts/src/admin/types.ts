import type { TributaryError } from '@tributary/errors';
/** Public types of the admin client: plain objects with numbers, no generated proto types. */

/** A topic to create. */
export interface NewTopic {
  /** Topic name: 1-249 characters of [a-zA-Z0-9._-], neither "." nor "..". */
  name: string;
  /** Number of partitions. @default the cluster's num.partitions */
  numPartitions?: number;
  /** Replicas per partition. @default the cluster's default.replication.factor */
  replicationFactor?: number;
  /** Topic config overrides, e.g. `{ 'retention.ms': '604800000' }`. @default {} */
  configs?: Readonly<Record<string, string>>;
}

/** Options of {@link Admin.createTopics}. */
export interface CreateTopicsOptions {
  /** Check everything but create nothing. @default false */
  validateOnly?: boolean;
  /** Wait up to this long (ms) for every new partition to have a leader. @default 10000 */
  timeoutMs?: number;
}

/** A created topic. */
export interface CreatedTopic {
  name: string;
  /** UUID; empty with validateOnly. */
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

/** One partition as the controller describes it. */
export interface PartitionInfo {
  partition: number;
  /** Broker id of the leader; -1 when offline. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

/** A topic with its partitions and config overrides. */
export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: PartitionInfo[];
  /** Overrides only (see describeConfigs for effective values). */
  configs: Record<string, string>;
}

/** A partition's offset range. */
export interface PartitionOffsets {
  partition: number;
  /** Log start offset (earliest still held). */
  earliest: number;
  /** High watermark (the offset the next consumable record gets). */
  latest: number;
}

/** A config resource: a topic, or a broker by id. */
export interface ConfigResourceRef {
  type: 'topic' | 'broker';
  /** Topic name, or broker id in decimal. */
  name: string;
  /** Only these names. @default every config */
  configNames?: readonly string[];
}

/** One effective config value. */
export interface ConfigValue {
  name: string;
  /** Absent when sensitive or unset. */
  value: string | undefined;
  source: 'default' | 'broker' | 'topic' | 'unknown';
  readOnly: boolean;
  isSensitive: boolean;
}

/** The effective configs of one resource. */
export interface ResourceConfigs {
  type: 'topic' | 'broker';
  name: string;
  entries: ConfigValue[];
}

/** Incremental config changes for one topic. */
export interface ConfigChange {
  /** Topic name. */
  topic: string;
  /** Entries to set. @default {} */
  set?: Readonly<Record<string, string>>;
  /** Overrides to remove (back to the broker's or built-in default). @default [] */
  delete?: readonly string[];
}

/** A service endpoint. */
export interface Endpoint {
  id: number;
  host: string;
  port: number;
}

/** The cluster as the controller and brokers see it. */
export interface ClusterInfo {
  clusterId: string;
  controller: Endpoint | undefined;
  controllerEpoch: number;
  brokers: Array<Endpoint & { rack: string }>;
  coordinators: Endpoint[];
  /** Partitions whose ISR is smaller than their replica set. */
  underReplicatedPartitions: Array<{ topic: string; partition: number; replicas: number[]; isr: number[] }>;
  /** Partitions without a leader. */
  offlinePartitions: Array<{ topic: string; partition: number }>;
}

/** Group lifecycle state. */
export type GroupStateName = 'Empty' | 'Rebalancing' | 'Stable' | 'Dead' | 'Unknown';

/** A group in a listing. */
export interface GroupListing {
  groupId: string;
  state: GroupStateName;
  assignor: string;
  memberCount: number;
}

/** A topic's partitions (assignments). */
export interface TopicPartitionsRef {
  topic: string;
  partitions: number[];
}

/** A group member. */
export interface GroupMember {
  memberId: string;
  groupInstanceId: string;
  clientId: string;
  host: string;
  subscribedTopics: string[];
  assignment: TopicPartitionsRef[];
}

/** A group's position in one partition. */
export interface GroupPartitionLag {
  topic: string;
  partition: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  /** High watermark; -1 when unknown. */
  logEndOffset: number;
  /** logEndOffset - committedOffset; -1 when either is unknown. */
  lag: number;
  /** Member id of the owner; empty when unassigned. */
  owner: string;
}

/** A group described, with lag. */
export interface GroupInfo {
  groupId: string;
  state: GroupStateName;
  assignor: string;
  generationId: number;
  coordinatorId: number;
  members: GroupMember[];
  partitions: GroupPartitionLag[];
  /** Sum of known lags. */
  totalLag: number;
}

/** Where to move a group's offsets. */
export type OffsetResetSpec =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'offset'; offset: number }
  | { to: 'timestamp'; timestamp: number }
  | { to: 'shift'; by: number };

/** Options of {@link Admin.resetOffsets}. */
export interface ResetOffsetsOptions {
  groupId: string;
  topic: string;
  /** Partition numbers. @default every partition of the topic */
  partitions?: readonly number[];
  reset: OffsetResetSpec;
  /** Compute the new offsets without committing them. @default false */
  dryRun?: boolean;
}

/** One partition's reset. */
export interface OffsetResetResult {
  partition: number;
  /** -1 when nothing was committed. */
  previousOffset: number;
  newOffset: number;
}

/** One partition to reassign: its target replicas (preferred leader first), or null to cancel. */
export interface ReassignmentChange {
  readonly topic: string;
  readonly partition: number;
  /** Target broker ids, distinct and registered; `null` cancels the reassignment in progress. */
  readonly replicas: readonly number[] | null;
}

/** The controller's answer for one change: no `error` when it was recorded. */
export interface ReassignmentOutcome {
  readonly topic: string;
  readonly partition: number;
  /** INVALID_REPLICA_ASSIGNMENT, UNKNOWN_TOPIC_OR_PARTITION, NO_REASSIGNMENT_IN_PROGRESS, ... */
  readonly error?: TributaryError;
}

/** A partition being reassigned (KIP-455's adding/removing replicas). */
export interface OngoingReassignment {
  readonly topic: string;
  readonly partition: number;
  /** The full replica set during the move: the target first, then the replicas leaving. */
  readonly replicas: readonly number[];
  /** Replicas catching up to join the ISR. */
  readonly adding: readonly number[];
  /** Replicas removed once the target is in sync. */
  readonly removing: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  /** Replication throttle of the move in bytes/s; 0 = none. */
  readonly throttleBytesPerSec: number;
}
