export type { Etcd3, Namespace, Watcher } from 'etcd3';
export { EphemeralKey, KeyInUseError } from './ephemeral-key';
export { connectEtcd, type EtcdConnection, type EtcdConnectionOptions } from './etcd-connection';
export * as keys from './keys';
export { PrefixWatch, type PrefixWatchHandlers } from './prefix-watch';
export {
  type BrokerRegistration,
  type ControllerRegistration,
  type CoordinatorRegistration,
  isBrokerRegistration,
  isControllerRegistration,
  isCoordinatorRegistration,
  isPartitionState,
  isTopicRecord,
  type PartitionState,
  parseRecord,
  serializeRecord,
  type TopicRecord,
} from './records';
