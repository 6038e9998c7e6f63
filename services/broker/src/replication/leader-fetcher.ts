/**
 * One leader's ReplicaFetch stream and the partitions this broker follows from it (see
 * follower-fetchers.ts for truncation and error handling).
 *
 * Fetch session (replication.proto, Kafka KIP-227): the leader keeps every partition's position
 * between rounds, so a round names only the partitions whose log end offset, epoch or state
 * changed (`#changed`) and those that leave (`#forgotten`), and the answer holds only partitions
 * with news. Nothing per round is proportional to the partitions followed: an idle follower of
 * 10,000 partitions sends empty rounds. A full round (every fetching partition) opens each
 * stream. Every `replica.lag.time.max.ms` the partitions whose ISR (per metadata) lacks this
 * broker are named again, so an ISR expansion that lost a race is retried; the in-sync ones are
 * not (a periodic full round re-subscribed all 6,000 partitions an idle broker of a
 * 10,000-partition cluster follows, half its idle CPU). A partition answered with an error
 * leaves the leader's session and is sent again when its retry is due.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  createClient,
  int64ToNumber,
  type OffsetForLeaderEpochResponse__Output,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse__Output,
  type ReplicationServiceClient,
} from '@tributary/proto';
import type { Partition } from '../replica/partition';
import type { Logger } from '../replica/replica-manager';
import type { DataPlaneConfig } from '../replica/settings';

interface Entry {
  readonly partition: Partition;
  readonly epoch: number;
  state: 'truncating' | 'fetching';
  /** Earliest time a retry of a failed partition may run. */
  retryAt: number;
}

type RequestPartitions = NonNullable<NonNullable<ReplicaFetchRequest['topics']>[number]['partitions']>;

const ERR = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
} as const;

export class LeaderFetcher {
  readonly #entries = new Map<string, Entry>();
  /** Entries waiting for their OffsetForLeaderEpoch truncation. */
  readonly #truncating = new Set<string>();
  /** Fetching entries to name in the next round (new, moved, or due for a retry). */
  readonly #changed = new Set<string>();
  /** Failed entries, by key, waiting for `retryAt`. */
  readonly #retrying = new Set<string>();
  /** What the leader's session holds: key → the entry it was sent for. */
  readonly #session = new Map<string, Entry>();
  /** Keys to drop from the leader's session in the next round. */
  readonly #forgotten = new Set<string>();
  /** When the out-of-ISR partitions are named again (see the file comment). */
  #nextResync = 0;
  #closed = false;
  #client: ReplicationServiceClient | undefined;
  #clientAddress: string | undefined;
  #call: grpc.ClientDuplexStream<ReplicaFetchRequest, ReplicaFetchResponse__Output> | undefined;
  #pending: { resolve: (r: ReplicaFetchResponse__Output) => void; reject: (e: Error) => void } | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly brokerId: number,
    readonly leaderId: number,
    private readonly addressOf: (brokerId: number) => string | undefined,
    private readonly config: DataPlaneConfig,
    private readonly logger: Logger,
    private readonly credentials: grpc.ChannelCredentials,
  ) {
    void this.#run();
  }

  get size(): number {
    return this.#entries.size;
  }

  add(p: Partition): void {
    this.#entries.set(p.key, { partition: p, epoch: p.leaderEpoch, state: 'truncating', retryAt: 0 });
    this.#truncating.add(p.key);
    this.#changed.delete(p.key);
    this.#retrying.delete(p.key);
    this.#wake?.();
  }

  remove(key: string): void {
    this.#entries.delete(key);
    this.#truncating.delete(key);
    this.#changed.delete(key);
    this.#retrying.delete(key);
    if (this.#session.delete(key)) this.#forgotten.add(key);
  }

  close(): void {
    this.#closed = true;
    this.#endCall();
    this.#client?.close();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    let backoff = 50;
    while (!this.#closed) {
      try {
        await this.#truncatePending();
        const round = this.#round();
        if (round === undefined) {
          await this.#sleep(100);
          continue;
        }
        const res = await this.#send(round.request);
        this.#apply(res, round.full);
        backoff = 50;
      } catch (err) {
        if (this.#closed) return;
        this.logger.warn(
          { leader: this.leaderId, err: (err as Error).message },
          'replica fetch failed; retrying',
        );
        this.#endCall();
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
      }
    }
  }

  #clientFor(): ReplicationServiceClient {
    const address = this.addressOf(this.leaderId);
    if (address === undefined) throw new Error(`leader broker ${this.leaderId} is not registered`);
    if (this.#client === undefined || this.#clientAddress !== address) {
      this.#client?.close();
      this.#client = createClient('ReplicationService', address, { credentials: this.credentials });
      this.#clientAddress = address;
    }
    return this.#client;
  }

  /** Marks a fetching entry to be named in the next round. */
  #touch(key: string): void {
    this.#changed.add(key);
  }

  async #truncatePending(): Promise<void> {
    if (this.#truncating.size === 0) return;
    const now = Date.now();
    const todo: Entry[] = [];
    for (const key of this.#truncating) {
      const e = this.#entries.get(key);
      if (e !== undefined && e.retryAt <= now) todo.push(e);
    }
    if (todo.length === 0) return;
    const client = this.#clientFor();
    const withEpoch = todo.filter((e) => e.partition.log.latestEpoch !== undefined);
    for (const e of todo) if (e.partition.log.latestEpoch === undefined) this.#startFetching(e);
    if (withEpoch.length === 0) return;
    const byTopic = new Map<
      string,
      { partition: number; leaderEpoch: number; currentLeaderEpoch: number }[]
    >();
    for (const e of withEpoch) {
      const list = byTopic.get(e.partition.topic) ?? [];
      list.push({
        partition: e.partition.partition,
        leaderEpoch: e.partition.log.latestEpoch!,
        currentLeaderEpoch: e.epoch,
      });
      byTopic.set(e.partition.topic, list);
    }
    const res = await new Promise<OffsetForLeaderEpochResponse__Output>((resolve, reject) =>
      client.offsetForLeaderEpoch(
        {
          replicaId: this.brokerId,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        },
        { deadline: Date.now() + 10_000 },
        (err, r) => (err ? reject(err) : resolve(r!)),
      ),
    );
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const e = this.#entries.get(`${t.topic}/${r.partition}`);
        if (e === undefined || e.state !== 'truncating') continue;
        if (r.errorCode !== ERR.NONE) {
          e.retryAt = Date.now() + 100;
          continue;
        }
        const p = e.partition;
        const leaderEpoch = int64ToNumber(r.leaderEpoch, 'leader_epoch');
        const leaderEnd = int64ToNumber(r.endOffset, 'end_offset');
        const before = p.log.logEndOffset;
        let target: number;
        if (leaderEpoch < 0 || leaderEnd < 0) target = p.log.highWatermark;
        else {
          const own = p.log.endOffsetForEpoch(leaderEpoch);
          target =
            own.epoch === leaderEpoch ? Math.min(leaderEnd, own.endOffset) : Math.min(leaderEnd, before);
        }
        const after = p.truncateTo(target);
        if (after < before)
          this.logger.info(
            { topic: p.topic, partition: p.partition, from: before, to: after, leaderEpoch: e.epoch },
            'truncated divergent log suffix',
          );
        this.#startFetching(e);
      }
    }
  }

  #startFetching(e: Entry): void {
    e.state = 'fetching';
    this.#truncating.delete(e.partition.key);
    this.#touch(e.partition.key);
  }

  #toTruncation(e: Entry): void {
    e.state = 'truncating';
    this.#truncating.add(e.partition.key);
    this.#changed.delete(e.partition.key);
  }

  /** The next round: full when due (or on a new stream), else the session's changes. */
  #round(): { request: ReplicaFetchRequest; full: boolean } | undefined {
    const now = Date.now();
    for (const key of this.#retrying) {
      const e = this.#entries.get(key);
      if (e === undefined || e.state !== 'fetching') this.#retrying.delete(key);
      else if (e.retryAt <= now) {
        this.#retrying.delete(key);
        this.#touch(key);
      }
    }
    const full = this.#call === undefined;
    if (now >= this.#nextResync) {
      this.#nextResync = now + Math.max(1000, this.config.replicaLagTimeMaxMs);
      if (!full) {
        for (const [key, e] of this.#entries)
          if (e.state === 'fetching' && !e.partition.isr.includes(this.brokerId)) this.#touch(key);
      }
    }
    const byTopic = new Map<string, RequestPartitions>();
    const name = (key: string, e: Entry) => {
      const list = byTopic.get(e.partition.topic) ?? [];
      list.push({
        partition: e.partition.partition,
        fetchOffset: e.partition.log.logEndOffset,
        currentLeaderEpoch: e.epoch,
        logStartOffset: e.partition.log.logStartOffset,
        partitionMaxBytes: this.config.replicaFetchMaxBytes,
      });
      byTopic.set(e.partition.topic, list);
      this.#session.set(key, e);
    };
    let forgotten: { topic: string; partitions: number[] }[] = [];
    if (full) {
      this.#session.clear();
      this.#forgotten.clear();
      for (const [key, e] of this.#entries) {
        if (e.state === 'fetching' && e.retryAt <= now) name(key, e);
      }
      this.#changed.clear();
      if (this.#session.size === 0) return undefined;
    } else {
      for (const key of this.#changed) {
        const e = this.#entries.get(key);
        if (e !== undefined && e.state === 'fetching' && e.retryAt <= now) name(key, e);
      }
      this.#changed.clear();
      forgotten = groupByTopic(this.#forgotten);
      this.#forgotten.clear();
      if (this.#session.size === 0 && forgotten.length === 0) return undefined;
    }
    return {
      full,
      request: {
        replicaId: this.brokerId,
        maxWaitMs: this.config.replicaFetchWaitMaxMs,
        minBytes: 1,
        maxBytes: this.config.replicaFetchResponseMaxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        incremental: !full,
        forgotten,
      },
    };
  }

  #send(request: ReplicaFetchRequest): Promise<ReplicaFetchResponse__Output> {
    if (this.#call === undefined) {
      const call = this.#clientFor().replicaFetch();
      call.on('data', (r: ReplicaFetchResponse__Output) => {
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.resolve(r);
      });
      const fail = (err: Error) => {
        if (this.#call === call) this.#call = undefined;
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.reject(err);
      };
      call.on('error', fail);
      call.on('end', () => fail(new Error('replica fetch stream ended')));
      this.#call = call;
    }
    const call = this.#call;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          if (this.#pending?.resolve === done) this.#pending = undefined;
          reject(new Error('replica fetch round timed out'));
        },
        this.config.replicaFetchWaitMaxMs * 4 + 10_000,
      );
      const done = (r: ReplicaFetchResponse__Output) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.#pending = {
        resolve: done,
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      call.write(request);
    });
  }

  /** Applies an answer: only the partitions in it (a session answer names only those with news). */
  #apply(res: ReplicaFetchResponse__Output, _full: boolean): void {
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const key = `${t.topic}/${r.partition}`;
        const e = this.#entries.get(key);
        if (e === undefined || e !== this.#session.get(key) || e.state !== 'fetching') continue;
        const p = e.partition;
        if (r.errorCode !== ERR.NONE) this.#session.delete(key); // the leader dropped it
        switch (r.errorCode) {
          case ERR.NONE: {
            if (r.recordBatches.length > 0) {
              p.appendAsFollower(r.recordBatches);
              this.#touch(key);
            }
            const hw = int64ToNumber(r.highWatermark, 'high_watermark');
            p.log.highWatermark = Math.min(hw, p.log.logEndOffset);
            break;
          }
          case ERR.OFFSET_OUT_OF_RANGE: {
            const lso = int64ToNumber(r.logStartOffset, 'log_start_offset');
            if (lso >= 0 && p.log.logEndOffset < lso) {
              p.log.truncateFullyAndStartAt(lso);
              this.#touch(key);
            } else this.#toTruncation(e);
            break;
          }
          default:
            // FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER: new metadata will move the partition
            // (follow() again); until then, or while the leader has not seen its own election
            // yet (UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER), retry a little later.
            e.retryAt = Date.now() + 200;
            this.#retrying.add(key);
        }
      }
    }
  }

  #endCall(): void {
    const call = this.#call;
    this.#call = undefined;
    call?.cancel();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}

/** `topic/partition` keys grouped as the proto's per-topic lists. */
function groupByTopic(keys: Iterable<string>): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const slash = key.lastIndexOf('/');
    const topic = key.slice(0, slash);
    const list = byTopic.get(topic) ?? [];
    list.push(Number(key.slice(slash + 1)));
    byTopic.set(topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}
