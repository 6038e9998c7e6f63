export type { Etcd3, IKeyValue, Namespace, Watcher } from 'etcd3';
export { type AclRecord, aclOfRecord, aclRecord, isAclRecord } from './acl-records';
export { AclView } from './acl-view';
export { EphemeralKey, KeyInUseError, registeredAt } from './ephemeral-key';
export { connectEtcd, type EtcdConnection, type EtcdConnectionOptions } from './etcd-connection';
export {
  type GroupCoordinatorRecord,
  type GroupMemberRecord,
  type GroupOffsetRecord,
  type GroupOwnerRecord,
  type GroupStateName,
  isGroupCoordinatorRecord,
  isGroupMemberRecord,
  isGroupOffsetRecord,
  isGroupOwnerRecord,
} from './group-records';
export * as keys from './keys';
export {
  describeEndpoints,
  describePartitions,
  type EndpointsDescription,
  numericId,
  type PartitionDescription,
} from './metadata-describe';
export {
  type MetadataChange,
  type MetadataSection,
  MetadataView,
  type MetadataViewOptions,
  type Versioned,
} from './metadata-view';
export { type KeyRevisions, PrefixWatch, type PrefixWatchHandlers } from './prefix-watch';
export {
  type BrokerRegistration,
  type ControllerRegistration,
  type CoordinatorRegistration,
  isBrokerRegistration,
  isControllerRegistration,
  isCoordinatorRegistration,
  isPartitionState,
  isProducerIdBlock,
  isTopicDeletionAck,
  isTopicRecord,
  isTransactionalProducer,
  type PartitionReassignment,
  type PartitionState,
  type ProducerIdBlock,
  parseRecord,
  serializeRecord,
  type TopicDeletionAck,
  type TopicRecord,
  type TransactionalProducer,
} from './records';
export { MAX_TOPIC_NAME_LENGTH, topicNameProblem } from './topic-name';
