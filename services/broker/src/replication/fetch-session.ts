/**
 * The leader's side of one ReplicaFetch stream (replication.proto): the follower's fetch session
 * (Kafka KIP-227), so that an idle follower's round costs nothing per partition.
 *
 * The session holds, per partition the follower replicates through this stream, its last fetch
 * position, epoch and byte limit, and what the session last sent of the high watermark and log
 * start offset. Each partition is subscribed once, when it joins, to its log's appends and high
 * watermark and to its role changes; an event marks it dirty. A round reads only the partitions
 * it names and the dirty ones, answers those with records, a changed high watermark or log start
 * offset, or an error (an errored partition leaves the session), and sleeps on appends otherwise.
 *
 * A full round (`incremental` false) replaces the session and is answered for every partition
 * it names, as before sessions existed. Followers send one when a stream opens, and name their
 * out-of-ISR partitions again now and then (see leader-fetcher.ts) so an ISR expansion can never
 * stay stuck on a lost race.
 *
 * Throttle: for a replica a reassignment adds (and that is not in the ISR yet), a partition's read
 * is limited by the leader's token bucket of the reassignment's rate; out of tokens, the
 * partition stays dirty and is read in a later round.
 *
 * ISR: the follower's position is recorded for the partitions a round names. For the others it
 * is unchanged, and `liveness.lastRoundMs` tells the partition the follower still fetches: a
 * follower whose position equals the leader's log end offset is caught up as of its last round.
 */
import { NotLeaderError, TributaryError, toItemError } from '@tributary/errors';
import {
  int64ToNumber,
  type ProtoErrorCode__Output,
  type ReplicaFetchPartitionResponse,
  type ReplicaFetchRequest__Output,
  type ReplicaFetchResponse,
} from '@tributary/proto';
import type { FollowerLiveness, Partition } from '../replica/partition';
import type { ReplicaManager } from '../replica/replica-manager';

interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  offset: number;
  epoch: number;
  max: number;
  /** The replica whose events this entry listens to, and how to stop listening. */
  watched: Partition | undefined;
  unwatch: () => void;
  sentHighWatermark: number;
  sentLogStartOffset: number;
}

export class ReplicaFetchSession {
  readonly #parts = new Map<string, SessionPartition>();
  readonly #dirty = new Set<SessionPartition>();
  readonly #liveness: FollowerLiveness = { lastRoundMs: 0 };
  #wake: (() => void) | undefined;

  constructor(
    private readonly rm: ReplicaManager,
    readonly replicaId: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Partitions in the session. */
  get size(): number {
    return this.#parts.size;
  }

  /** Answers one round; resolves after at most max_wait_ms. */
  async round(req: ReplicaFetchRequest__Output): Promise<ReplicaFetchResponse> {
    const cfg = this.rm.config;
    const maxBytes = req.maxBytes > 0 ? req.maxBytes : cfg.replicaFetchResponseMaxBytes;
    const minBytes = Math.max(1, req.minBytes);
    const deadline = Date.now() + Math.min(Math.max(0, req.maxWaitMs), cfg.replicaFetchWaitMaxMs * 4);
    if (!req.incremental) this.close();
    for (const f of req.forgotten ?? []) {
      for (const partition of f.partitions) this.#remove(`${f.topic}/${partition}`);
    }
    // The partitions the round names: a full round answers each of them, whatever happens.
    const named: SessionPartition[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const sp = this.#upsert(
          t.topic,
          p.partition,
          int64ToNumber(p.fetchOffset, 'fetch_offset'),
          int64ToNumber(p.currentLeaderEpoch, 'current_leader_epoch'),
          p.partitionMaxBytes > 0 ? p.partitionMaxBytes : cfg.replicaFetchMaxBytes,
        );
        named.push(sp);
      }
    }
    this.#liveness.lastRoundMs = this.now();
    // Record the follower's positions once per round, for the partitions whose position it sent.
    for (const sp of named) {
      const p = this.rm.get(sp.topic, sp.partition);
      if (p?.isLeader && p.leaderEpoch === sp.epoch && sp.offset <= p.log.logEndOffset) {
        if (p.recordFollowerFetch(this.replicaId, sp.offset, this.#liveness))
          this.rm.expandIsr(p, this.replicaId);
      }
    }
    const mustAnswer = req.incremental ? undefined : new Set(named);
    for (;;) {
      const answer = this.#read(maxBytes, mustAnswer);
      const left = deadline - Date.now();
      if (answer.total >= minBytes || answer.failed || left <= 0 || this.#parts.size === 0) {
        this.#commit(answer.sent);
        return { topics: [...answer.topics].map(([topic, partitions]) => ({ topic, partitions })) };
      }
      await this.#sleep(left);
    }
  }

  /** Stops listening to every partition and empties the session. */
  close(): void {
    for (const sp of this.#parts.values()) sp.unwatch();
    this.#parts.clear();
    this.#dirty.clear();
    this.#wake?.();
  }

  /** Reads the dirty partitions (and, for a full round, every named one) within `maxBytes`. */
  #read(
    maxBytes: number,
    mustAnswer: ReadonlySet<SessionPartition> | undefined,
  ): {
    topics: Map<string, ReplicaFetchPartitionResponse[]>;
    total: number;
    failed: boolean;
    sent: { sp: SessionPartition; r: ReplicaFetchPartitionResponse }[];
  } {
    let total = 0;
    let failed = false;
    const topics = new Map<string, ReplicaFetchPartitionResponse[]>();
    const sent: { sp: SessionPartition; r: ReplicaFetchPartitionResponse }[] = [];
    const candidates = mustAnswer === undefined ? this.#dirty : new Set([...mustAnswer, ...this.#dirty]);
    for (const sp of candidates) {
      let r: ReplicaFetchPartitionResponse;
      try {
        const p = this.#leaderFor(sp);
        const log = p.log;
        if (sp.offset < log.logStartOffset || sp.offset > log.logEndOffset) {
          throw new TributaryError(
            'OFFSET_OUT_OF_RANGE',
            `fetch offset ${sp.offset} is outside [${log.logStartOffset}, ${log.logEndOffset}]`,
          );
        }
        let budget = total === 0 ? sp.max : Math.min(sp.max, maxBytes - total);
        // A replica a reassignment adds gets at most its throttle's tokens (replication-throttle.ts).
        const rate = p.throttleFor(this.replicaId);
        const throttle = rate > 0 ? this.rm.throttles.get(rate) : undefined;
        if (throttle) budget = Math.min(budget, Math.max(0, throttle.available()));
        const bytes = budget > 0 ? log.read(sp.offset, budget) : Buffer.alloc(0);
        throttle?.consume(bytes.length);
        const changed =
          log.highWatermark !== sp.sentHighWatermark || log.logStartOffset !== sp.sentLogStartOffset;
        if (bytes.length === 0 && !changed && mustAnswer?.has(sp) !== true) {
          // Out of budget with records left: stays dirty for the next round.
          if (budget > 0 || sp.offset >= log.logEndOffset) this.#dirty.delete(sp);
          continue;
        }
        total += bytes.length;
        r = {
          partition: sp.partition,
          highWatermark: log.highWatermark,
          logStartOffset: log.logStartOffset,
          recordBatches: bytes,
        };
      } catch (err) {
        failed = true;
        const p = this.rm.get(sp.topic, sp.partition);
        r = {
          partition: sp.partition,
          highWatermark: p?.log.highWatermark ?? -1,
          logStartOffset: p?.log.logStartOffset ?? -1,
          ...toItemError<ProtoErrorCode__Output>(err, 'STORAGE_ERROR'),
        };
      }
      sent.push({ sp, r });
      let list = topics.get(sp.topic);
      if (list === undefined) {
        list = [];
        topics.set(sp.topic, list);
      }
      list.push(r);
    }
    return { topics, total, failed, sent };
  }

  /** What an answer sent becomes the session's: errored partitions leave, the rest are clean. */
  #commit(sent: readonly { sp: SessionPartition; r: ReplicaFetchPartitionResponse }[]): void {
    for (const { sp, r } of sent) {
      if ((r.errorCode ?? 0) !== 0) {
        this.#remove(sp.key);
        continue;
      }
      sp.sentHighWatermark = Number(r.highWatermark);
      sp.sentLogStartOffset = Number(r.logStartOffset);
      // Records sent: the follower's next position comes in its next round and re-dirties it;
      // none sent although some are there (the answer's byte budget ran out): read it next time.
      const records = r.recordBatches?.length ?? 0;
      if (records > 0 || sp.offset >= (sp.watched?.log.logEndOffset ?? 0)) this.#dirty.delete(sp);
    }
  }

  #leaderFor(sp: SessionPartition): Partition {
    const p = this.rm.leaderReplica(sp.topic, sp.partition, sp.epoch);
    if (this.replicaId >= 0 && !p.replicas.includes(this.replicaId))
      throw new NotLeaderError(`broker ${this.replicaId} is not a replica of ${sp.key}`, {
        leaderId: this.rm.brokerId,
      });
    if (sp.watched !== p) this.#watch(sp, p);
    return p;
  }

  #upsert(topic: string, partition: number, offset: number, epoch: number, max: number): SessionPartition {
    const key = `${topic}/${partition}`;
    let sp = this.#parts.get(key);
    if (sp === undefined) {
      sp = {
        topic,
        partition,
        key,
        offset,
        epoch,
        max,
        watched: undefined,
        unwatch: () => undefined,
        sentHighWatermark: -1,
        sentLogStartOffset: -1,
      };
      this.#parts.set(key, sp);
      const p = this.rm.get(topic, partition);
      if (p !== undefined) this.#watch(sp, p);
    }
    sp.offset = offset;
    sp.epoch = epoch;
    sp.max = max;
    this.#dirty.add(sp);
    return sp;
  }

  #watch(sp: SessionPartition, p: Partition): void {
    sp.unwatch();
    const onData = () => {
      this.#dirty.add(sp);
      this.#wake?.();
    };
    // A high watermark move is sent with the next answer; it does not end the long poll.
    const onHighWatermark = () => this.#dirty.add(sp);
    const offs = [p.log.onAppend(onData), p.log.onHighWatermark(onHighWatermark), p.onRoleChange(onData)];
    sp.watched = p;
    sp.unwatch = () => {
      for (const off of offs) off();
    };
  }

  #remove(key: string): void {
    const sp = this.#parts.get(key);
    if (sp === undefined) return;
    sp.unwatch();
    this.#parts.delete(key);
    this.#dirty.delete(sp);
  }

  #sleep(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }
}
