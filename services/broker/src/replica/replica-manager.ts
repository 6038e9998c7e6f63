/**
 * The replicas this broker holds (Kafka's `ReplicaManager`): it turns partition-state changes
 * from etcd into leader and follower roles, owns the ISR maintenance of the partitions it
 * leads, and is what the produce, fetch and replication handlers look partitions up in.
 *
 * It implements `LocalReplicaManager`, the narrow interface the cluster-metadata follower calls
 * (becomeLeader / becomeFollower / stopReplica). Calls for one partition run one after another
 * (opening a log is async); calls for different partitions interleave freely.
 *
 * ISR changes are written by the leader with a guarded txn on the partition key: it reads the
 * key, checks that it still names this broker as leader at the epoch it leads, and puts the new
 * ISR with partitionEpoch + 1 only if the key's mod revision is unchanged. A leader whose
 * leadership was taken meanwhile (controller failover, a paused process) fails the compare and
 * changes nothing. The change takes effect locally only after etcd accepted it.
 */
import { NotLeaderError, TributaryError } from '@tributary/errors';
import type { Namespace } from '@tributary/registry';
import {
  isPartitionState,
  isTopicRecord,
  keys,
  type PartitionState,
  parseRecord,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import { parseTopicConfig } from '@tributary/topic-config';
import type { LocalReplicaManager, TopicPartitionRef } from '../cluster/local-replica-manager';
import { ReplicationThrottles } from '../replication/replication-throttle';
import type { LogManager } from '../storage';
import type { LeaderLookup } from './leader-replica';
import { Partition, type ReplicaAssignment } from './partition';
import type { DataPlaneConfig } from './settings';

/** Where followers fetch from: the replication side (one stream per leader). */
export interface FollowerFetchers {
  /** Starts (or moves) following `partition` from its `leaderId` at its `leaderEpoch`. */
  follow(partition: Partition): void;
  /** Stops fetching `partition`. */
  unfollow(partition: Partition): void;
}

/** The cluster view handlers need for partitions this broker does not hold. */
export interface MetadataView {
  /** Leader and epoch of a partition per the latest metadata, or undefined if unknown. */
  leaderOf(topic: string, partition: number): { leaderId: number; leaderEpoch: number } | undefined;
  /** Whether the topic and partition exist. */
  partitionExists(topic: string, partition: number): boolean;
}

export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ReplicaManagerOptions {
  readonly brokerId: number;
  readonly logs: LogManager;
  readonly ns: () => Namespace;
  readonly config: DataPlaneConfig;
  readonly logger: Logger;
  readonly now?: () => number;
  /**
   * The cluster view, so that `leaderReplica` tells a partition nobody knows
   * (UNKNOWN_TOPIC_OR_PARTITION) from one another broker leads (NOT_LEADER_OR_FOLLOWER with the
   * leader's id). Without it every partition not led here is NOT_LEADER_OR_FOLLOWER.
   */
  readonly metadata?: MetadataView;
  /** Told of each ISR change this broker wrote as leader (metrics). */
  readonly onIsrChange?: (change: 'shrink' | 'expand') => void;
}

/** min.insync.replicas of a topic config (default 1). */
export function minInsyncReplicas(topic: TopicRecord): number {
  return parseTopicConfig(topic.configs).replication.minInsyncReplicas;
}

export class ReplicaManager implements LocalReplicaManager, LeaderLookup<Partition> {
  readonly brokerId: number;
  readonly #partitions = new Map<string, Partition>();
  /**
   * The same replicas by topic, then partition number: produce and the replica fetch look one up
   * per partition of every request, and building and hashing a `topic/partition` key for each was
   * a few % of a broker's CPU when every batch holds one record (docs/scale.md).
   */
  readonly #byTopic = new Map<string, Map<number, Partition>>();
  readonly #chains = new Map<string, Promise<void>>();
  /** The partitions led here (a superset: ones that lost leadership leave at the next ISR check). */
  readonly #led = new Set<Partition>();
  readonly #opts: ReplicaManagerOptions;
  readonly #now: () => number;
  #fetchers: FollowerFetchers | undefined;
  /** The leader's reassignment throttles, one token bucket per rate (fetch-session.ts). */
  readonly throttles: ReplicationThrottles;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ReplicaManagerOptions) {
    this.#opts = options;
    this.brokerId = options.brokerId;
    this.#now = options.now ?? Date.now;
    this.throttles = new ReplicationThrottles(this.#now);
  }

  get config(): DataPlaneConfig {
    return this.#opts.config;
  }

  /** Wires the follower side (created after the manager, since it looks partitions up here). */
  setFetchers(fetchers: FollowerFetchers): void {
    this.#fetchers = fetchers;
  }

  /**
   * Starts the ISR-shrink check, every half `replica.lag.time.max.ms` as Kafka's
   * `maybeShrinkIsr` (it walks every led partition: each second was a tenth of an idle broker's
   * CPU at 3,000 led partitions).
   */
  start(): void {
    const every = Math.max(50, Math.floor(this.#opts.config.replicaLagTimeMaxMs / 2));
    this.#timer = setInterval(() => this.checkIsr(), every);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const p of this.#partitions.values()) {
      this.#fetchers?.unfollow(p);
      p.makeOffline();
    }
  }

  /** The local replica of a partition, if this broker holds one. */
  get(topic: string, partition: number): Partition | undefined {
    return this.#byTopic.get(topic)?.get(partition);
  }

  /** The partition this broker leads; see {@link LeaderLookup.leaderReplica} for what it throws. */
  leaderReplica(topic: string, partition: number, currentLeaderEpoch?: number): Partition {
    const p = this.#byTopic.get(topic)?.get(partition);
    if (p === undefined || !p.isLeader) {
      const metadata = this.#opts.metadata;
      if (metadata !== undefined && !metadata.partitionExists(topic, partition))
        throw new TributaryError(
          'UNKNOWN_TOPIC_OR_PARTITION',
          `unknown topic or partition ${topic}/${partition}`,
        );
      throw new NotLeaderError(`broker ${this.brokerId} does not lead ${topic}/${partition}`, {
        leaderId: metadata?.leaderOf(topic, partition)?.leaderId ?? -1,
      });
    }
    p.checkLeaderEpoch(currentLeaderEpoch);
    return p;
  }

  all(): Partition[] {
    return [...this.#partitions.values()];
  }

  becomeLeader(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void> {
    return this.#serial(tp, async () => {
      const p = await this.#open(tp, topic);
      const wasLeader = p.isLeader && p.leaderEpoch === state.leaderEpoch;
      this.#fetchers?.unfollow(p);
      p.makeLeader(this.#assignment(state, topic, tp));
      this.#led.add(p);
      if (!wasLeader)
        this.#opts.logger.info(
          {
            topic: tp.topic,
            partition: tp.partition,
            leaderEpoch: state.leaderEpoch,
            isr: state.isr,
            leo: p.log.logEndOffset,
          },
          'became leader',
        );
    });
  }

  becomeFollower(tp: TopicPartitionRef, state: PartitionState, topic: TopicRecord): Promise<void> {
    return this.#serial(tp, async () => {
      const p = await this.#open(tp, topic);
      const changed =
        p.role !== 'follower' || p.leaderEpoch !== state.leaderEpoch || p.leaderId !== state.leader;
      p.makeFollower(this.#assignment(state, topic, tp));
      if (!changed) return;
      this.#opts.logger.info(
        { topic: tp.topic, partition: tp.partition, leader: state.leader, leaderEpoch: state.leaderEpoch },
        'became follower',
      );
      if (state.leader >= 0) this.#fetchers?.follow(p);
      else this.#fetchers?.unfollow(p);
    });
  }

  stopReplica(tp: TopicPartitionRef, deleteData: boolean): Promise<void> {
    return this.#serial(tp, async () => {
      const key = `${tp.topic}/${tp.partition}`;
      const p = this.#partitions.get(key);
      if (p !== undefined) {
        this.#fetchers?.unfollow(p);
        p.makeOffline();
        this.#partitions.delete(key);
        const byNumber = this.#byTopic.get(tp.topic)!;
        byNumber.delete(tp.partition);
        if (byNumber.size === 0) this.#byTopic.delete(tp.topic);
        this.#led.delete(p);
      }
      if (deleteData) await this.#opts.logs.delete(tp.topic, tp.partition);
    });
  }

  /**
   * Shrinks the ISR of led partitions whose followers lag (timer; public for tests). Walks only
   * the partitions this broker leads, not every replica it holds.
   */
  checkIsr(): void {
    for (const p of this.#led) {
      if (!p.isLeader) {
        this.#led.delete(p);
        continue;
      }
      if (p.isrChangeInFlight) continue;
      const lagging = p.laggingReplicas(this.#opts.config.replicaLagTimeMaxMs);
      let strangers = 0;
      for (const r of p.isr) if (!p.replicas.includes(r)) strangers++;
      if (lagging.length === 0 && strangers === 0) continue;
      const out = [...lagging, ...p.isr.filter((r) => !p.replicas.includes(r))];
      this.#opts.logger.warn({ topic: p.topic, partition: p.partition, out }, 'shrinking ISR');
      void this.#writeIsr(p, (isr) => isr.filter((r) => !out.includes(r)));
    }
  }

  /** Adds a caught-up follower to the ISR (called by the replication handler). */
  expandIsr(p: Partition, replicaId: number): void {
    if (p.isrChangeInFlight) return;
    this.#opts.logger.info({ topic: p.topic, partition: p.partition, replicaId }, 'expanding ISR');
    p.joiningIsr = replicaId;
    void this.#writeIsr(p, (isr) => (isr.includes(replicaId) ? isr : [...isr, replicaId]), replicaId).finally(
      () => {
        p.joiningIsr = undefined;
      },
    );
  }

  /**
   * Writes an ISR change. `joining`: the replica being added, which must still be a replica per
   * the topic record in etcd. This broker's view of the record may lag its view of the partition
   * key (two watches): after a reassignment completes, a removed replica still fetching must not
   * re-enter the ISR. The topic record is read after the partition key, so a completion between
   * the two reads shows in the record, and one after them fails the mod-revision guard.
   */
  async #writeIsr(
    p: Partition,
    change: (isr: readonly number[]) => readonly number[],
    joining?: number,
  ): Promise<void> {
    p.isrChangeInFlight = true;
    const epoch = p.leaderEpoch;
    try {
      const ns = this.#opts.ns();
      const key = keys.partitionStateKey(p.topic, p.partition);
      const res = await ns.get(key).exec();
      const kv = res.kvs[0];
      if (kv === undefined) return;
      const current = parseRecord(key, kv.value, isPartitionState);
      if (current.leader !== this.brokerId || current.leaderEpoch !== epoch) return;
      if (joining !== undefined) {
        const topicKv = (await ns.get(keys.topicKey(p.topic)).exec()).kvs[0];
        const record = topicKv && parseRecord(keys.topicKey(p.topic), topicKv.value, isTopicRecord);
        if (!record?.replicas[p.partition]?.includes(joining)) return;
      }
      const isr = change(current.isr);
      if (isr.length === current.isr.length && isr.every((r) => current.isr.includes(r))) {
        if (p.isLeader && p.leaderEpoch === epoch) p.applyIsr(isr, current.partitionEpoch);
        return;
      }
      const next: PartitionState = {
        ...current,
        isr: [...isr],
        controllerEpoch: 0,
        partitionEpoch: current.partitionEpoch + 1,
      };
      const txn = await ns
        .if(key, 'Mod', '==', kv.mod_revision)
        .then(ns.put(key).value(serializeRecord(next)))
        .commit();
      if (!txn.succeeded) {
        this.#opts.logger.warn(
          { topic: p.topic, partition: p.partition },
          'ISR change lost a race; waiting for metadata',
        );
        return;
      }
      this.#opts.onIsrChange?.(isr.length < current.isr.length ? 'shrink' : 'expand');
      if (p.isLeader && p.leaderEpoch === epoch) p.applyIsr(isr, next.partitionEpoch);
    } catch (err) {
      this.#opts.logger.warn(
        { topic: p.topic, partition: p.partition, err: (err as Error).message },
        'ISR change failed',
      );
    } finally {
      p.isrChangeInFlight = false;
    }
  }

  #assignment(state: PartitionState, topic: TopicRecord, tp: TopicPartitionRef): ReplicaAssignment {
    return {
      leader: state.leader,
      leaderEpoch: state.leaderEpoch,
      isr: state.isr,
      replicas: topic.replicas[tp.partition] ?? [],
      partitionEpoch: state.partitionEpoch,
      minInsyncReplicas: minInsyncReplicas(topic),
      ...(state.reassignment
        ? {
            reassignment: {
              adding: state.reassignment.adding,
              throttleBytesPerSec: state.reassignment.throttleBytesPerSec,
            },
          }
        : {}),
    };
  }

  async #open(tp: TopicPartitionRef, topic: TopicRecord): Promise<Partition> {
    const key = `${tp.topic}/${tp.partition}`;
    const existing = this.#partitions.get(key);
    const config = parseTopicConfig(topic.configs).log;
    if (existing !== undefined) {
      existing.log.updateConfig(config);
      return existing;
    }
    const log = await this.#opts.logs.getOrCreate(tp.topic, tp.partition, config);
    const p = new Partition(tp.topic, tp.partition, log, this.brokerId, this.#now);
    this.#partitions.set(key, p);
    let byNumber = this.#byTopic.get(tp.topic);
    if (byNumber === undefined) {
      byNumber = new Map();
      this.#byTopic.set(tp.topic, byNumber);
    }
    byNumber.set(tp.partition, p);
    return p;
  }

  #serial(tp: TopicPartitionRef, task: () => Promise<void>): Promise<void> {
    const key = `${tp.topic}/${tp.partition}`;
    const next = (this.#chains.get(key) ?? Promise.resolve()).then(task, task);
    const settled = next.catch(() => undefined);
    this.#chains.set(key, settled);
    void settled.then(() => {
      if (this.#chains.get(key) === settled) this.#chains.delete(key);
    });
    return next;
  }
}
