/**
 * The follower's half of replication: one {@link LeaderFetcher} per leader broker, each holding
 * ONE ReplicaFetch stream that carries every partition this broker follows from that leader
 * (ARCHITECTURE §5: many partitions per message, the HTTP/2 window raised by
 * GRPC_CHANNEL_OPTIONS).
 *
 * A partition enters a fetcher in the "truncating" state: before its first round the fetcher
 * asks the leader (OffsetForLeaderEpoch) for the end offset of this replica's latest epoch and
 * truncates the divergent suffix (KIP-101/279): to min(leader's end offset of that epoch, this
 * log's end of the same epoch). Only then does it join the rounds. Rounds go through the
 * stream's fetch session (leader-fetcher.ts): a round names only partitions whose log end offset
 * changed, and the out-of-ISR partitions are named again every `replica.lag.time.max.ms`. The
 * response's batches are appended as they are and the high watermark becomes min(leader's HW,
 * local log end). Rounds are strictly one at a time.
 *
 * Errors: a broken stream is re-opened after a short backoff (the leader's address is looked up
 * again); other partition errors (FENCED_LEADER_EPOCH or NOT_LEADER_OR_FOLLOWER until new metadata
 * moves the partition, UNKNOWN_LEADER_EPOCH while the leader has not seen its election yet) are
 * retried after 200 ms; OFFSET_OUT_OF_RANGE below the leader's log start restarts the
 * log there, anything else re-runs the truncation.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import type { Partition } from '../replica/partition';
import type { FollowerFetchers, Logger } from '../replica/replica-manager';
import type { DataPlaneConfig } from '../replica/settings';
import { LeaderFetcher } from './leader-fetcher';

export class FollowerFetcherManager implements FollowerFetchers {
  readonly #fetchers = new Map<number, LeaderFetcher>();
  readonly #byPartition = new Map<string, number>();

  constructor(
    private readonly brokerId: number,
    private readonly addressOf: (brokerId: number) => string | undefined,
    private readonly config: DataPlaneConfig,
    private readonly logger: Logger,
    /** Transport of the replication links (`ServiceContext.transport.links`). */
    private readonly credentials: ChannelCredentials,
  ) {}

  follow(p: Partition): void {
    this.unfollow(p);
    let f = this.#fetchers.get(p.leaderId);
    if (f === undefined) {
      f = new LeaderFetcher(
        this.brokerId,
        p.leaderId,
        this.addressOf,
        this.config,
        this.logger,
        this.credentials,
      );
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
