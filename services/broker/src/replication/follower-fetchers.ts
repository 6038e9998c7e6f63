/**
 * The follower's half of replication: one {@link LeaderFetcher} per leader broker, each holding
 * ONE ReplicaFetch stream that carries every partition this broker follows from that leader
 * (ARCHITECTURE §5: many partitions per message, the HTTP/2 window raised by
 * GRPC_CHANNEL_OPTIONS).
 *
 * A partition enters a fetcher in the "truncating" state: before its first round the fetcher
 * asks the leader (OffsetForLeaderEpoch) for the end offset of this replica's latest epoch and
 * truncates the divergent suffix (KIP-101/279): to min(leader's end offset of that epoch, this
 * log's end of the same epoch). Only then does it join the rounds. Each round sends every
 * fetching partition's log end offset; the response's batches are appended as they are and the
 * high watermark becomes min(leader's HW, local log end). Rounds are strictly one at a time.
 *
 * Errors: a broken stream is re-opened after a short backoff (the leader's address is looked up
 * again); other partition errors (FENCED_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER until new metadata
 * moves the partition, UNKNOWN_LEADER_EPOCH while the leader has not seen its election yet) are
 * retried after 200 ms; OFFSET_OUT_OF_RANGE below the leader's log start restarts the
 * log there, anything else re-runs the truncation.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  createClient,
  int64ToNumber,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse__Output,
  type ReplicationServiceClient,
} from '@tributary/proto';
import type { Partition } from '../replica/partition';
import type { FollowerFetchers, Logger } from '../replica/replica-manager';
import type { DataPlaneConfig } from '../replica/settings';

interface Entry {
  readonly partition: Partition;
  readonly epoch: number;
  state: 'truncating' | 'fetching';
  /** Earliest time a retry of a failed partition may run. */
  retryAt: number;
}

const ERR = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
} as const;

export class FollowerFetcherManager implements FollowerFetchers {
  readonly #fetchers = new Map<number, LeaderFetcher>();
  readonly #byPartition = new Map<string, number>();

  constructor(
    private readonly brokerId: number,
    private readonly addressOf: (brokerId: number) => string | undefined,
    private readonly config: DataPlaneConfig,
    private readonly logger: Logger,
  ) {}

  follow(p: Partition): void {
    this.unfollow(p);
    let f = this.#fetchers.get(p.leaderId);
    if (f === undefined) {
      f = new LeaderFetcher(this.brokerId, p.leaderId, this.addressOf, this.config, this.logger);
      this.#fetchers.set(p.leaderId, f);
    }
    f.add(p);
    this.#byPartition.set(p.key, p.leaderId);
  }

  unfollow(p: Partition): void {
    const leader = this.#byPartition.get(p.key);
    if (leader === undefined) return;
    this.#byPartition.delete(p.key);
    const f = this.#fetchers.get(leader);
    if (f === undefined) return;
    f.remove(p.key);
    if (f.size === 0) {
      this.#fetchers.delete(leader);
      f.close();
    }
  }

  close(): void {
    for (const f of this.#fetchers.values()) f.close();
    this.#fetchers.clear();
    this.#byPartition.clear();
  }
}

/** One leader's stream and the partitions followed from it. */
class LeaderFetcher {
  readonly #entries = new Map<string, Entry>();
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
  ) {
    void this.#run();
  }

  get size(): number {
    return this.#entries.size;
  }

  add(p: Partition): void {
    this.#entries.set(p.key, { partition: p, epoch: p.leaderEpoch, state: 'truncating', retryAt: 0 });
    this.#wake?.();
  }

  remove(key: string): void {
    this.#entries.delete(key);
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
        this.#apply(res, round.sent);
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
      this.#client = createClient('ReplicationService', address);
      this.#clientAddress = address;
    }
    return this.#client;
  }

  async #truncatePending(): Promise<void> {
    const now = Date.now();
    const todo = [...this.#entries.values()].filter((e) => e.state === 'truncating' && e.retryAt <= now);
    if (todo.length === 0) return;
    const client = this.#clientFor();
    const withEpoch = todo.filter((e) => e.partition.log.latestEpoch !== undefined);
    for (const e of todo) if (e.partition.log.latestEpoch === undefined) e.state = 'fetching';
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
    const res = await new Promise<import('@tributary/proto').OffsetForLeaderEpochResponse__Output>(
      (resolve, reject) =>
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
        e.state = 'fetching';
      }
    }
  }

  #round(): { request: ReplicaFetchRequest; sent: Map<string, Entry> } | undefined {
    const now = Date.now();
    const sent = new Map<string, Entry>();
    const byTopic = new Map<
      string,
      NonNullable<NonNullable<ReplicaFetchRequest['topics']>[number]['partitions']>
    >();
    for (const [key, e] of this.#entries) {
      if (e.state !== 'fetching' || e.retryAt > now) continue;
      sent.set(key, e);
      const list = byTopic.get(e.partition.topic) ?? [];
      list.push({
        partition: e.partition.partition,
        fetchOffset: e.partition.log.logEndOffset,
        currentLeaderEpoch: e.epoch,
        logStartOffset: e.partition.log.logStartOffset,
        partitionMaxBytes: this.config.replicaFetchMaxBytes,
      });
      byTopic.set(e.partition.topic, list);
    }
    if (sent.size === 0) return undefined;
    return {
      sent,
      request: {
        replicaId: this.brokerId,
        maxWaitMs: this.config.replicaFetchWaitMaxMs,
        minBytes: 1,
        maxBytes: this.config.replicaFetchResponseMaxBytes,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
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

  #apply(res: ReplicaFetchResponse__Output, sent: Map<string, Entry>): void {
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const key = `${t.topic}/${r.partition}`;
        const e = this.#entries.get(key);
        if (e === undefined || e !== sent.get(key) || e.state !== 'fetching') continue;
        const p = e.partition;
        switch (r.errorCode) {
          case ERR.NONE: {
            if (r.recordBatches.length > 0) p.appendAsFollower(r.recordBatches);
            const hw = int64ToNumber(r.highWatermark, 'high_watermark');
            p.log.highWatermark = Math.min(hw, p.log.logEndOffset);
            break;
          }
          case ERR.OFFSET_OUT_OF_RANGE: {
            const lso = int64ToNumber(r.logStartOffset, 'log_start_offset');
            if (lso >= 0 && p.log.logEndOffset < lso) {
              p.log.truncateFullyAndStartAt(lso);
              p.producers.rebuild(p.log);
            } else e.state = 'truncating';
            break;
          }
          default:
            // FENCED_LEADER_EPOCH / NOT_LEADER_OR_FOLLOWER: new metadata will move the partition
            // (follow() again); until then, or while the leader has not seen its own election
            // yet (UNKNOWN_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER), retry a little later.
            e.retryAt = Date.now() + 200;
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
