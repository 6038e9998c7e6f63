export { EphemeralKey, KeyInUseError } from './ephemeral-key';
export { connectEtcd, type EtcdConnection, type EtcdConnectionOptions } from './etcd-connection';
export * as keys from './keys';
export {
  type BrokerRegistration,
  type ControllerRegistration,
  type CoordinatorRegistration,
  isBrokerRegistration,
  isControllerRegistration,
  isCoordinatorRegistration,
  parseRecord,
  serializeRecord,
} from './records';
