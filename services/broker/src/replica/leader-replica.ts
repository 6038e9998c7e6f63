/**
 * The narrow view of a partition replica that the consumer fetch and the leader's side of
 * replication depend on (STYLE: components take the interface they need, not the class behind
 * it): the read side of its log, its leader epoch and role notifications. `Partition` satisfies
 * it; `ReplicaManager.leaderReplica` is the one place that decides whether this broker leads.
 *
 * `waitForChange` is the long-poll primitive of unary Fetch: it sleeps on it instead of polling
 * (FetchStream and ReplicaFetch sessions listen per partition, once, and track what changed).
 */
import type { PartitionReader } from '../storage';

/** A replica this broker leads, as readers see it. */
export interface LeaderReplica {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly log: PartitionReader;
  /** Calls `listener` whenever role, leader or epoch change; returns the unsubscribe function. */
  onRoleChange(listener: () => void): () => void;
}

/** Finds the replica this broker leads. */
export interface LeaderLookup<Replica extends LeaderReplica = LeaderReplica> {
  /**
   * The local leader replica of `topic`/`partition`, checked against the caller's
   * `currentLeaderEpoch` (undefined or -1: no check). Throws UNKNOWN_TOPIC_OR_PARTITION when the
   * cluster does not know the partition, NotLeaderError (with the leader per metadata) when this
   * broker does not lead it, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH on an epoch mismatch.
   */
  leaderReplica(topic: string, partition: number, currentLeaderEpoch?: number): Replica;
}

/** What `waitForChange` listens to. */
export type Watchable = Pick<LeaderReplica, 'log' | 'onRoleChange'>;

/**
 * Resolves when any of `replicas` moves its high watermark or changes role, when `extra` calls
 * its wake function, or after `timeoutMs`.
 */
export function waitForChange(
  replicas: readonly Watchable[],
  timeoutMs: number,
  extra?: (wake: () => void) => () => void,
): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let done = false;
    const wake = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(wake, Math.max(0, timeoutMs));
    for (const p of replicas) {
      offs.push(p.log.onHighWatermark(wake));
      offs.push(p.onRoleChange(wake));
    }
    if (extra) offs.push(extra(wake));
  });
}
