/**
 * The broker's view of cluster metadata and what follows from it: `ClusterMetadata` (a watch-fed
 * cache of brokers, coordinators, controller, topics and partitions), `ReplicaAssignmentFollower`
 * (drives a `LocalReplicaManager` from partition changes) and `LogReplicaManager` (the logs-only
 * implementation). Design: docs/controller.md.
 */
export { ClusterMetadata, type LeaderInfo } from './cluster-metadata';
export {
  type LocalLogs,
  type LocalReplicaManager,
  LogReplicaManager,
  type TopicPartitionRef,
} from './local-replica-manager';
export {
  ReplicaAssignmentFollower,
  type ReplicaAssignmentFollowerOptions,
} from './replica-assignment-follower';
export {
  type LaggingReplica,
  laggingReplicas,
  REPLICAS_CAUGHT_UP,
  ReplicaReadiness,
} from './replica-readiness';
