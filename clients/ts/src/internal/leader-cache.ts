/**
 * Where each partition's leader is, for the data plane (producer and fetcher): partition counts,
 * leader addresses and epochs from `Metadata`, refreshed on demand (a leadership error) and
 * coalesced so a burst of NOT_LEADER_OR_FOLLOWER answers causes one Metadata call.
 *
 * Everything derived from metadata (the list of partitions with a live leader, which the
 * partitioner reads on every send) is built here when metadata changes and handed out as the
 * same frozen object until the next change: no per-record work grows with the partition count.
 */
import { TributaryError } from '@tributary/errors';
import type { MetadataResponse__Output } from '@tributary/proto';

export interface PartitionLeader {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  /** `host:port` of the leader, undefined while it has none or is not live. */
  readonly address: string | undefined;
}

/** Fetches metadata for some topics (empty = all); the client's `Cluster.metadata`. */
export type MetadataSource = (topics: readonly string[]) => Promise<MetadataResponse__Output>;

const NONE: readonly number[] = Object.freeze([]);

export class LeaderCache {
  readonly #topics = new Map<string, PartitionLeader[]>();
  /** Per topic, its partitions with a live leader: rebuilt by `#apply`, shared by every send. */
  readonly #available = new Map<string, readonly number[]>();
  /** Broker id -> `host:port`, from the last metadata: what a leader hint's id resolves to. */
  #addresses = new Map<number, string>();
  #version = 0;
  readonly #errors = new Map<string, TributaryError>();
  #refreshing: Promise<void> | undefined;
  #lastRefresh = 0;

  constructor(
    private readonly source: MetadataSource,
    /** Fewest ms between two refreshes. */
    private readonly minRefreshIntervalMs = 50,
  ) {}

  /** Partition count of a topic, fetching its metadata if unknown; throws UNKNOWN_TOPIC_OR_PARTITION. */
  async partitionCount(topic: string): Promise<number> {
    if (!this.#topics.has(topic)) await this.refresh([topic], true);
    const t = this.#topics.get(topic);
    if (t === undefined)
      throw (
        this.#errors.get(topic) ?? new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${topic}`)
      );
    return t.length;
  }

  /** Known partition count (no fetch). */
  knownPartitionCount(topic: string): number | undefined {
    return this.#topics.get(topic)?.length;
  }

  /** The leader of a partition as last seen (no fetch). */
  leader(topic: string, partition: number): PartitionLeader | undefined {
    return this.#topics.get(topic)?.[partition];
  }

  /**
   * Partitions of `topic` with a live leader, in order. The same frozen array until metadata
   * for the topic changes, so callers may cache what they derive from it by identity.
   */
  available(topic: string): readonly number[] {
    return this.#available.get(topic) ?? NONE;
  }

  /** Counts metadata answers applied: what is derived from metadata is rebuilt only when it moves. */
  get version(): number {
    return this.#version;
  }

  /**
   * Applies a broker's `current_leader` hint (sent with NOT_LEADER_OR_FOLLOWER and the epoch
   * errors, Kafka's KIP-951): when it names a newer epoch and a broker whose address is known,
   * the partition's leader moves there at once and no Metadata round trip is needed. Returns
   * whether it did; false means: refresh metadata.
   */
  applyLeaderHint(
    topic: string,
    partition: number,
    hint: { leaderId: number; leaderEpoch: number | string } | null | undefined,
  ): boolean {
    if (hint === null || hint === undefined || hint.leaderId < 0) return false;
    const epoch = Number(hint.leaderEpoch);
    const leaders = this.#topics.get(topic);
    const current = leaders?.[partition];
    const address = this.#addresses.get(hint.leaderId);
    if (leaders === undefined || current === undefined || address === undefined) return false;
    // Only news counts: a hint that repeats what the cache holds (a broker whose own view lags)
    // must not send the client straight back to it.
    const newer =
      epoch > current.leaderEpoch || (epoch === current.leaderEpoch && current.address === undefined);
    if (!newer) return false;
    const wasAvailable = current.address !== undefined;
    leaders[partition] = { leaderId: hint.leaderId, leaderEpoch: epoch, address };
    // Only a partition that gained a leader changes the partitioner's view (rare: a leader change).
    if (!wasAvailable) this.#available.set(topic, availableOf(leaders));
    return true;
  }

  /**
   * Refreshes the given topics (plus every topic already known). Concurrent calls share one
   * request; calls within `minRefreshIntervalMs` of the last refresh wait for that interval.
   */
  refresh(topics: readonly string[] = [], force = false): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing;
    const wait = force ? 0 : Math.max(0, this.#lastRefresh + this.minRefreshIntervalMs - Date.now());
    const names = [...new Set([...this.#topics.keys(), ...topics])];
    this.#refreshing = (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        const md = await this.source(names);
        this.#apply(md);
      } finally {
        this.#lastRefresh = Date.now();
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #apply(md: MetadataResponse__Output): void {
    this.#version++;
    const addresses = new Map(md.brokers.map((b) => [b.brokerId, `${b.host}:${b.port}`]));
    this.#addresses = addresses;
    for (const t of md.topics) {
      if (t.errorCode !== 0) {
        this.#topics.delete(t.name);
        this.#available.delete(t.name);
        this.#errors.set(
          t.name,
          TributaryError.fromCode(t.errorCode, t.errorMessage || `topic ${t.name}: error ${t.errorCode}`),
        );
        continue;
      }
      this.#errors.delete(t.name);
      const leaders: PartitionLeader[] = [];
      for (const p of t.partitions) {
        leaders[p.partition] = {
          leaderId: p.leaderId,
          leaderEpoch: Number(p.leaderEpoch),
          address: p.leaderId >= 0 ? addresses.get(p.leaderId) : undefined,
        };
      }
      this.#topics.set(t.name, leaders);
      this.#available.set(t.name, availableOf(leaders));
    }
  }
}

/** The partitions with a live leader, frozen: built once per metadata change. */
function availableOf(leaders: readonly (PartitionLeader | undefined)[]): readonly number[] {
  const available: number[] = [];
  for (let i = 0; i < leaders.length; i++) if (leaders[i]?.address !== undefined) available.push(i);
  return Object.freeze(available);
}
