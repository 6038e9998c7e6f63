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
      const available: number[] = [];
      for (let i = 0; i < leaders.length; i++) if (leaders[i]?.address !== undefined) available.push(i);
      this.#available.set(t.name, Object.freeze(available));
    }
  }
}
