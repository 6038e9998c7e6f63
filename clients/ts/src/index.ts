/**
 * @tributary/client: the TypeScript client of Tributary.
 *
 * ```ts
 * const tributary = new Tributary({ bootstrap: ['127.0.0.1:9092'] });
 * await tributary.admin().createTopics([{ name: 'orders', numPartitions: 6 }]);
 * const consumer = tributary.consumer({ groupId: 'billing', valueDeserializer: stringSerde.deserialize });
 * await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
 * for await (const message of consumer) console.log(message.offset, message.value);
 * ```
 */

export type {
  AclBinding,
  AclFilter,
  Operation as AclOperation,
  PatternType as AclPatternType,
  Permission as AclPermission,
  ResourceType as AclResourceType,
} from '@tributary/auth';
export type { ClientTlsOptions } from '@tributary/proto';
export { Admin } from './admin/admin';
export {
  currentPlan,
  formatPlan,
  generateDecommission,
  generateSpread,
  PlanError,
  type PlannedPartition,
  parsePlan,
  type ReassignmentPlan,
  type TopicAssignment,
} from './admin/reassignment-plan';
export type {
  ClusterInfo,
  ConfigChange,
  ConfigResourceRef,
  ConfigValue,
  CreatedTopic,
  CreateTopicsOptions,
  Endpoint,
  GroupInfo,
  GroupListing,
  GroupMember,
  GroupPartitionLag,
  GroupStateName,
  NewTopic,
  OffsetResetResult,
  OffsetResetSpec,
  OngoingReassignment,
  PartitionInfo,
  PartitionOffsets,
  ReassignmentChange,
  ReassignmentOutcome,
  ResetOffsetsOptions,
  ResourceConfigs,
  TopicInfo,
  TopicPartitionsRef,
} from './admin/types';
export { Consumer } from './consumer/consumer';
export { consumerWithDefaults, type ResolvedConsumerOptions } from './consumer/consumer-options';
export type {
  AutoOffsetReset,
  ConsumerBatch,
  ConsumerMessage,
  ConsumerOptions,
  EachBatchPayload,
  EachMessagePayload,
  MessageHeader,
  RebalanceListener,
  RunOptions,
  SubscribeOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './consumer/types';
export {
  BufferExhaustedError,
  CorruptMessageError,
  DeserializationError,
  describeError,
  ErrorCode,
  type ErrorContext,
  type ErrorName,
  errorHint,
  InvalidConfigError,
  MessageTooLargeError,
  NotLeaderError,
  OffsetOutOfRangeError,
  TributaryError,
} from './errors';
export {
  type ClientOptions,
  DEFAULT_BOOTSTRAP,
  type ResolvedClientOptions,
  type RetryOptions,
  withDefaults,
} from './options';
export {
  createDefaultPartitioner,
  createRoundRobinPartitioner,
  type DefaultPartitionerOptions,
  murmur2,
  type Partitioner,
  type PartitionerInput,
  partitionForKey,
  toPositive,
} from './partitioner/index';
export {
  bytesSerde,
  customSerde,
  type Deserializer,
  jsonSerde,
  type Serde,
  type Serializer,
  stringSerde,
} from './serializers/index';
export { startClientTracing, type Tracing } from './telemetry';
export { Tributary } from './tributary';
