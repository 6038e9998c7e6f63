/**
 * The fetch path the consumer reads through: an implementation of `RecordSource`
 * (consumer/record-source.ts).
 *
 * API (for the consumer):
 * ```ts
 * const fetcher = new Fetcher({ metadata: (topics) => cluster.metadata(topics), settings });
 * fetcher.add([{ topic: 'orders', partition: 0, offset: 42 }]);   // start or seek
 * for (;;) {
 *   const next = await fetcher.next();            // undefined once closed
 *   if (next === undefined) break;
 *   for (const b of next.batches) { ...b.decode()...; fetcher.release(b); }
 *   for (const e of next.errors) { ...e.error (OFFSET_OUT_OF_RANGE: e.logStartOffset / e.highWatermark)... }
 * }
 * fetcher.remove([{ topic: 'orders', partition: 0 }]);
 * await fetcher.close();
 * ```
 * - `add` starts reading partitions at the given offsets, or moves partitions already read
 *   (a seek); batches fetched for an old position are dropped, never delivered.
 * - `next` yields batches in offset order per partition, one `SourceBatch` per stored record
 *   batch, decoded (and CRC-checked) by its `decode()` when the consumer hands its records out
 *   (records below the asked-for offset are the consumer's to skip), and partition errors the
 *   fetcher cannot handle itself (OFFSET_OUT_OF_RANGE, or anything not retriable): such a
 *   partition is no longer read until `add`ed again.
 * - Prefetch: each leader broker may hold two responses' worth (`creditWindowBytes`) of
 *   delivered-but-unreleased bytes;
 *   `release(batch)` gives its budget back.
 *
 * How: one FetchStream per leader broker (fetch-session.ts) carrying every partition this
 * consumer reads from it (ARCHITECTURE §5): the broker pushes data as soon as it is below the
 * high watermark, paced by credit, with no round trip per response (issue 11). Errors the error
 * table marks `refreshMetadata` (leadership errors, broken streams) refresh metadata and re-route
 * after the retry policy's backoff; they are not reported. When the broker's answer names the
 * new leader (`current_leader`, Kafka's KIP-951) the partition moves there at once, without a
 * Metadata call. A stream silent for `requestTimeoutMs` has its leaders checked, so a broker
 * that stopped answering (paused, cut off) loses its partitions once metadata moves them.
 */
import * as grpc from '@grpc/grpc-js';
import { CorruptMessageError, TributaryError } from '@tributary/errors';
import {
  type FetchPartitionResponse__Output,
  type FetchStreamResponse__Output,
  int64ToNumber,
  type TokenSource,
} from '@tributary/proto';
import {
  type DecodedRecord,
  decodeBatchRecords,
  frameBatchAt,
  peekIsControl,
  peekLastOffset,
  peekLeaderEpoch,
  peekRecordCount,
  type RecordOrigin,
} from '@tributary/record-batch';
import { BrokerConnections } from '../internal/connections';
import { LeaderCache, type MetadataSource } from '../internal/leader-cache';
import { Backoff } from '../internal/retry';
import { FetchSession } from './fetch-session';
import type { RecordSource, RecordSourceSettings, SourceBatch, SourcePartitionError } from './record-source';
import type { TopicPartition, TopicPartitionOffset } from './types';

interface Position {
  readonly topic: string;
  readonly partition: number;
  offset: number;
  /** The session reading it, undefined while it waits for a leader or a backoff. */
  session: FetchSession | undefined;
  retryAt: number;
  readonly backoff: Backoff;
  /** What its batches' records carry (topic, partition, leader epoch), shared while the epoch holds. */
  origin: RecordOrigin | undefined;
}

/** Backoff of a broker after its stream failed, before a new one is opened. */
const BROKER_BACKOFF = { initialRetryTimeMs: 100, maxRetryTimeMs: 2000, multiplier: 2, jitter: 0.2 };
/** Backoff of one partition after a leadership error, before it is read again. */
const PARTITION_BACKOFF = { initialRetryTimeMs: 50, maxRetryTimeMs: 1000, multiplier: 2, jitter: 0.2 };
/** How often partitions without a leader (or in a backoff) are routed again. */
const ROUTE_RETRY_MS = 200;

export interface FetcherOptions {
  readonly metadata: MetadataSource;
  readonly settings: RecordSourceSettings;
  /** How long a stream may stay silent before its partitions' leaders are checked, ms. @default 30000 */
  readonly requestTimeoutMs?: number;
  /** Transport of the fetches (`ResolvedClientOptions.credentials`). @default plaintext */
  readonly credentials?: grpc.ChannelCredentials;
  /** The bearer token of every fetch, if any. */
  readonly token?: TokenSource;
}

export class Fetcher implements RecordSource {
  readonly #leaders: LeaderCache;
  readonly #connections: BrokerConnections;
  readonly #positions = new Map<string, Position>();
  readonly #sessions = new Map<string, FetchSession>();
  readonly #brokerBackoff = new Map<string, { backoff: Backoff; until: number }>();
  readonly #batches: SourceBatch[] = [];
  readonly #errors: SourcePartitionError[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;
  #routeTimer: NodeJS.Timeout | undefined;
  readonly #watchdog: NodeJS.Timeout;

  constructor(private readonly options: FetcherOptions) {
    this.#leaders = new LeaderCache(options.metadata);
    this.#connections = new BrokerConnections(
      options.credentials ?? grpc.credentials.createInsecure(),
      options.token,
    );
    const silentMs = options.requestTimeoutMs ?? 30_000;
    this.#watchdog = setInterval(() => this.#checkSilent(silentMs), Math.max(1000, silentMs / 3));
    this.#watchdog.unref();
  }

  add(partitions: readonly TopicPartitionOffset[]): void {
    for (const p of partitions) {
      const key = `${p.topic}/${p.partition}`;
      const old = this.#positions.get(key)?.session;
      // A seek stays in its session: `add` there repositions the partition and resumes it.
      const session = old !== undefined && !old.ended ? old : undefined;
      const pos: Position = {
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        session,
        retryAt: 0,
        backoff: new Backoff(PARTITION_BACKOFF),
        origin: undefined,
      };
      this.#positions.set(key, pos);
      session?.add([this.#streamPartition(pos)]);
    }
    void this.#route(true);
  }

  remove(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const key = `${p.topic}/${p.partition}`;
      this.#positions.get(key)?.session?.remove([p]);
      this.#positions.delete(key);
    }
    this.#closeIdleSessions();
  }

  async next(): Promise<{ batches: SourceBatch[]; errors: SourcePartitionError[] } | undefined> {
    while (!this.#closed && this.#batches.length === 0 && this.#errors.length === 0) {
      await new Promise<void>((r) => {
        this.#waiter = r;
      });
    }
    if (this.#closed) return undefined;
    return { batches: this.#batches.splice(0), errors: this.#errors.splice(0) };
  }

  release(batch: SourceBatch): void {
    if (!(batch instanceof FetchedBatch)) return;
    batch.session?.credit(batch.bytes);
    batch.session = undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#routeTimer) clearTimeout(this.#routeTimer);
    clearInterval(this.#watchdog);
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
    this.#wake();
    this.#connections.close();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #streamPartition(p: Position) {
    return {
      topic: p.topic,
      partition: p.partition,
      fetchOffset: p.offset,
      partitionMaxBytes: this.options.settings.partitionMaxBytes,
    };
  }

  /**
   * Puts every partition that is ready into the session of its leader: new ones, ones whose
   * leader moved, ones back from a backoff. Opens sessions as needed; retries later for
   * partitions without a known leader or in a backoff.
   */
  async #route(refreshUnknown: boolean): Promise<void> {
    if (this.#closed) return;
    const unknown = [...this.#positions.values()].filter(
      (p) => this.#leaders.leader(p.topic, p.partition)?.address === undefined,
    );
    if (unknown.length > 0 && refreshUnknown) {
      await this.#leaders.refresh([...new Set(unknown.map((p) => p.topic))]).catch(() => undefined);
      if (this.#closed) return;
    }
    const now = Date.now();
    let retryAt = Number.POSITIVE_INFINITY;
    const adds = new Map<FetchSession, Position[]>();
    for (const p of this.#positions.values()) {
      const address = this.#leaders.leader(p.topic, p.partition)?.address;
      if (p.session !== undefined && p.session.address === address && !p.session.ended) continue;
      if (p.session !== undefined) {
        p.session.remove([p]);
        p.session = undefined;
      }
      const brokerWait = address === undefined ? 0 : (this.#brokerBackoff.get(address)?.until ?? 0);
      const readyAt = Math.max(p.retryAt, brokerWait);
      if (address === undefined || readyAt > now) {
        retryAt = Math.min(retryAt, address === undefined ? now + ROUTE_RETRY_MS : readyAt);
        continue;
      }
      const session = this.#session(address);
      p.session = session;
      const list = adds.get(session) ?? [];
      list.push(p);
      adds.set(session, list);
    }
    for (const [session, list] of adds) session.add(list.map((p) => this.#streamPartition(p)));
    this.#closeIdleSessions();
    if (retryAt !== Number.POSITIVE_INFINITY && this.#routeTimer === undefined) {
      this.#routeTimer = setTimeout(
        () => {
          this.#routeTimer = undefined;
          void this.#route(true);
        },
        Math.max(1, retryAt - now),
      );
    }
  }

  #session(address: string): FetchSession {
    let session = this.#sessions.get(address);
    if (session === undefined) {
      session = new FetchSession(this.#connections.get(address), address, this.options.settings, {
        onResponse: (s, res) => {
          this.#brokerBackoff.delete(address);
          this.#apply(s, res);
        },
        onEnd: (s) => this.#ended(s),
      });
      this.#sessions.set(address, session);
    }
    return session;
  }

  #closeIdleSessions(): void {
    for (const [address, s] of this.#sessions)
      if (s.partitions.size === 0) {
        s.close();
        this.#sessions.delete(address);
      }
  }

  /**
   * A stream ended (failed, or the broker stopping, which is as much news about leadership): its
   * partitions wait out the broker's backoff, then go where fresh metadata says.
   */
  #ended(session: FetchSession): void {
    if (this.#sessions.get(session.address) === session) this.#sessions.delete(session.address);
    let orphaned = false;
    for (const p of this.#positions.values())
      if (p.session === session) {
        p.session = undefined;
        orphaned = true;
      }
    if (this.#closed || !orphaned) return;
    const entry = this.#brokerBackoff.get(session.address) ?? {
      backoff: new Backoff(BROKER_BACKOFF),
      until: 0,
    };
    entry.until = Date.now() + entry.backoff.next();
    this.#brokerBackoff.set(session.address, entry);
    void this.#leaders.refresh().then(
      () => this.#route(false),
      () => this.#route(false),
    );
  }

  #checkSilent(silentMs: number): void {
    const now = Date.now();
    const silent = [...this.#sessions.values()].some((s) => now - s.lastResponseAt > silentMs);
    if (!silent) return;
    for (const s of this.#sessions.values()) if (now - s.lastResponseAt > silentMs) s.lastResponseAt = now;
    void this.#leaders.refresh().then(
      () => this.#route(false),
      () => undefined,
    );
  }

  #apply(session: FetchSession, res: FetchStreamResponse__Output): void {
    let reroute = false;
    let refresh = false;
    let dropped = 0;
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const key = `${t.topic}/${r.partition}`;
        const pos = this.#positions.get(key);
        const fetchOffset = int64ToNumber(r.fetchOffset, 'fetch_offset');
        if (pos === undefined || pos.session !== session || pos.offset !== fetchOffset) {
          dropped += r.recordBatches.length;
          continue;
        }
        if (r.errorCode !== 0) {
          const error = TributaryError.fromCode(r.errorCode, r.errorMessage);
          if (error.retriable && error.refreshMetadata) {
            // The broker paused the partition; it is added again where its leader now is.
            pos.session = undefined;
            session.remove([pos]);
            // With the new leader named in the answer (KIP-951), re-route now, no Metadata call.
            if (this.#leaders.applyLeaderHint(t.topic, r.partition, r.currentLeader)) pos.retryAt = 0;
            else {
              pos.retryAt = Date.now() + pos.backoff.next();
              refresh = true;
            }
            reroute = true;
            continue;
          }
          this.#positions.delete(key);
          session.remove([pos]);
          this.#errors.push(partitionError(t.topic, r, error));
          continue;
        }
        pos.backoff.reset();
        dropped += this.#deliver(session, t.topic, r, pos);
      }
    }
    session.credit(dropped);
    if (refresh)
      void this.#leaders.refresh().then(
        () => this.#route(false),
        () => this.#route(false),
      );
    else if (reroute) void this.#route(false);
    if (this.#batches.length > 0 || this.#errors.length > 0) this.#wake();
  }

  /**
   * Splits one partition's data into batches; returns the bytes not delivered (to credit back).
   * Framing reads only the fields it routes by (size, last offset, control flag, record count,
   * leader epoch); the header is parsed, and the CRC checked, once, by the batch's decode before
   * any of its records is handed out. At 10,000 partitions keyed data comes as one-record
   * batches, and parsing every header here as well, through a generator, was a third of the
   * client's per-batch cost (docs/scale.md, eighth round).
   */
  #deliver(session: FetchSession, topic: string, r: FetchPartitionResponse__Output, pos: Position): number {
    const data = r.recordBatches;
    const hw = int64ToNumber(r.highWatermark, 'high_watermark');
    let delivered = 0;
    for (let position = 0, size = 0; position < data.length; position += size) {
      size = frameBatchAt(data, position);
      const next = peekLastOffset(data, position) + 1;
      if (!Number.isSafeInteger(next)) {
        throw new CorruptMessageError(
          `Batch at position ${position}: its last offset is not a safe integer.`,
          {
            context: { position },
          },
        );
      }
      if (next <= pos.offset) continue;
      const from = pos.offset;
      pos.offset = next;
      if (peekIsControl(data, position) || peekRecordCount(data, position) === 0) continue;
      delivered += size;
      const leaderEpoch = peekLeaderEpoch(data, position);
      let origin = pos.origin;
      if (origin?.leaderEpoch !== leaderEpoch) {
        origin = { topic, partition: r.partition, leaderEpoch };
        pos.origin = origin;
      }
      const batch = new FetchedBatch(data, position, origin, session);
      batch.fetchOffset = from;
      batch.nextOffset = next;
      batch.highWatermark = hw;
      batch.bytes = size;
      this.#batches.push(batch);
    }
    return data.length - delivered;
  }
}

/**
 * One stored batch as fetched: the response's bytes and where the batch starts in them. Each
 * record decodes with its topic, partition and leader epoch, so that with raw keys and values it
 * is the application's message as it is (ConsumerCore.toMessage), no copy.
 */
class FetchedBatch implements SourceBatch {
  fetchOffset = 0;
  nextOffset = 0;
  highWatermark = 0;
  bytes = 0;

  constructor(
    readonly data: Buffer,
    readonly position: number,
    /** Shared by the partition's batches of one leader epoch (Position.origin), never changed. */
    readonly origin: RecordOrigin,
    /**
     * The session whose credit the batch holds until released, then undefined (a second release
     * gives nothing back). A field, not a WeakMap entry: at 10,000 partitions a batch often holds
     * one record, and the WeakMap's set was the fetcher's busiest line.
     */
    public session: FetchSession | undefined,
  ) {}

  get topic(): string {
    return this.origin.topic;
  }

  get partition(): number {
    return this.origin.partition;
  }

  get leaderEpoch(): number {
    return this.origin.leaderEpoch;
  }

  decode(): DecodedRecord[] {
    return decodeBatchRecords(this.data, this.position, this.origin);
  }
}

function partitionError(
  topic: string,
  r: FetchPartitionResponse__Output,
  error: TributaryError,
): SourcePartitionError {
  return {
    topic,
    partition: r.partition,
    error,
    logStartOffset: int64ToNumber(r.logStartOffset, 'log_start_offset'),
    highWatermark: int64ToNumber(r.highWatermark, 'high_watermark'),
  };
}
