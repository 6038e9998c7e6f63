/**
 * `LocalReplicaManager`: what the ReplicaAssignmentFollower drives when partition metadata names
 * this broker. The data plane's ReplicaManager (replica/replica-manager.ts) implements it with
 * replication; `LogReplicaManager` below is the minimal implementation (logs only) for tests and
 * for a broker without replication. Contract, documented in docs/controller.md:
 *
 * - Calls for one partition arrive one at a time, in metadata order; calls for different
 *   partitions may run concurrently. Every call is idempotent: the follower calls again after a
 *   failure, and after a topic config change with the same state.
 * - `becomeLeader`: this broker leads `tp` at `state.leaderEpoch`; create the log if missing and
 *   start serving produce and fetch at that epoch.
 * - `becomeFollower`: `state.leader` leads (-1: nobody; keep the log, fetch nothing); create the
 *   log if missing, stop leading, and replicate from the leader at `state.leaderEpoch`.
 * - `stopReplica`: stop serving and replicating `tp`; with `deleteData`, remove its log from disk
 *   (topic deleted, or this broker no longer a replica). Also called for a partition directory
 *   found on disk that metadata does not know (it must work for logs never opened as a replica).
 */
import type { PartitionState, TopicRecord } from '@tributary/registry';
import { parseTopicConfig } from '@tributary/topic-config';
import type { LogManager } from '../storage';

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

export interface LocalReplicaManager {
  becomeLeader(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void>;
  becomeFollower(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void>;
  stopReplica(tp: TopicPartitionRef, deleteData: boolean): Promise<void>;
}

/** The partitions with a directory on this broker's disk (LogManager satisfies it). */
export interface LocalLogs {
  all(): readonly TopicPartitionRef[];
}

/** Logs only: creates the log of a partition this broker leads or follows, deletes it on stop. */
export class LogReplicaManager implements LocalReplicaManager {
  /** Role per partition, `<topic>/<p>` → leader epoch and whether this broker leads (for tests). */
  readonly roles = new Map<string, { leader: boolean; leaderEpoch: number }>();

  constructor(private readonly logs: LogManager) {}

  async becomeLeader(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void> {
    await this.open(tp, topic);
    this.roles.set(`${tp.topic}/${tp.partition}`, { leader: true, leaderEpoch: state.leaderEpoch });
  }

  async becomeFollower(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void> {
    await this.open(tp, topic);
    this.roles.set(`${tp.topic}/${tp.partition}`, { leader: false, leaderEpoch: state.leaderEpoch });
  }

  async stopReplica(tp: TopicPartitionRef, deleteData: boolean): Promise<void> {
    this.roles.delete(`${tp.topic}/${tp.partition}`);
    if (deleteData) await this.logs.delete(tp.topic, tp.partition);
  }

  private async open(tp: TopicPartitionRef, topic: TopicRecord): Promise<void> {
    const config = parseTopicConfig(topic.configs).log;
    const existing = this.logs.get(tp.topic, tp.partition);
    if (existing) existing.updateConfig(config);
    else await this.logs.getOrCreate(tp.topic, tp.partition, config);
  }
}
