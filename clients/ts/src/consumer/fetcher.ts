/**
 * The low-level fetch loop the consumer reads through: an implementation of `RecordSource`
 * (consumer/record-source.ts).
 *
 * API (for the consumer):
 * ```ts
 * const fetcher = new Fetcher({ metadata: (topics) => cluster.metadata(topics), settings });
 * fetcher.add([{ topic: 'orders', partition: 0, offset: 42 }]);   // start or seek
 * for (;;) {
 *   const next = await fetcher.next();            // undefined once closed
 *   if (next === undefined) break;
 *   for (const b of next.batches) { ...b.records...; fetcher.release(b); }
 *   for (const e of next.errors) { ...e.error (OFFSET_OUT_OF_RANGE: e.logStartOffset / e.highWatermark)... }
 * }
 * fetcher.remove([{ topic: 'orders', partition: 0 }]);
 * await fetcher.close();
 * ```
 * - `add` starts reading partitions at the given offsets, or moves partitions already read
 *   (a seek); batches fetched for an old position are dropped, never delivered.
 * - `next` yields decoded records in offset order per partition, one `SourceBatch` per stored
 *   record batch (records below the asked-for offset are skipped), and partition errors the
 *   fetcher cannot handle itself (OFFSET_OUT_OF_RANGE, or anything not retriable): such a
 *   partition is no longer read until `add`ed again.
 * - Prefetch: fetching pauses while delivered-but-unreleased bytes exceed `maxPrefetchBytes`;
 *   `release(batch)` gives its budget back.
 *
 * How: one long-poll Fetch loop per leader broker, each request carrying every partition this
 * consumer reads from that broker (ARCHITECTURE §5). The broker answers as soon as data below
 * the high watermark arrives (woken by the append, not by polling) or after `maxWaitMs`.
 * Errors the error table marks `refreshMetadata` (leadership errors, broken connections)
 * refresh metadata and re-route after the retry policy's backoff; they are not reported. When
 * the broker's answer names the new leader (`current_leader`, Kafka's KIP-951) the partition
 * moves there at once, without a Metadata call.
 */
import type * as grpc from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import { type FetchResponse__Output, int64ToNumber } from '@tributary/proto';
import { batchesIn, type DecodedRecord, decodeRecordBatch } from '@tributary/record-batch';
import { BrokerConnections } from '../internal/connections';
import { LeaderCache, type MetadataSource } from '../internal/leader-cache';
import { Backoff, isCancelled, sleep } from '../internal/retry';
import type { RecordSource, RecordSourceSettings, SourceBatch, SourcePartitionError } from './record-source';
import type { TopicPartition, TopicPartitionOffset } from './types';

interface Position {
  readonly topic: string;
  readonly partition: number;
  offset: number;
  retryAt: number;
  readonly backoff: Backoff;
}

interface Loop {
  call: grpc.ClientUnaryCall | undefined;
}

/** Backoff of a broker's fetch loop after a failed Fetch. */
const LOOP_BACKOFF = { initialRetryTimeMs: 100, maxRetryTimeMs: 2000, multiplier: 2, jitter: 0.2 };
/** Backoff of one partition after a leadership error, before it is fetched again. */
const PARTITION_BACKOFF = { initialRetryTimeMs: 50, maxRetryTimeMs: 1000, multiplier: 2, jitter: 0.2 };
/** How often partitions without a known leader are routed again. */
const ROUTE_RETRY_MS = 200;

export interface FetcherOptions {
  readonly metadata: MetadataSource;
  readonly settings: RecordSourceSettings;
  /** Deadline of one Fetch beyond its max wait, ms. @default 30000 */
  readonly requestTimeoutMs?: number;
}

export class Fetcher implements RecordSource {
  readonly #leaders: LeaderCache;
  readonly #connections = new BrokerConnections();
  readonly #positions = new Map<string, Position>();
  readonly #loops = new Map<string, Loop>();
  readonly #batches: SourceBatch[] = [];
  readonly #errors: SourcePartitionError[] = [];
  #waiter: (() => void) | undefined;
  #budgetWaiters: (() => void)[] = [];
  #inUse = 0;
  #closed = false;
  #routeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: FetcherOptions) {
    this.#leaders = new LeaderCache(options.metadata);
  }

  add(partitions: readonly TopicPartitionOffset[]): void {
    for (const p of partitions) {
      this.#positions.set(`${p.topic}/${p.partition}`, {
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        retryAt: 0,
        backoff: new Backoff(PARTITION_BACKOFF),
      });
      const address = this.#leaders.leader(p.topic, p.partition)?.address;
      if (address !== undefined) this.#loops.get(address)?.call?.cancel();
    }
    void this.#route(true);
  }

  remove(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) this.#positions.delete(`${p.topic}/${p.partition}`);
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
    this.#inUse = Math.max(0, this.#inUse - batch.bytes);
    if (this.#inUse < this.options.settings.maxPrefetchBytes)
      for (const w of this.#budgetWaiters.splice(0)) w();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#routeTimer) clearTimeout(this.#routeTimer);
    for (const l of this.#loops.values()) l.call?.cancel();
    this.#wake();
    for (const w of this.#budgetWaiters.splice(0)) w();
    this.#connections.close();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  /** Starts a loop for every leader address that has partitions to read. */
  async #route(refreshUnknown: boolean): Promise<void> {
    if (this.#closed) return;
    const unknown = [...this.#positions.values()].filter(
      (p) => this.#leaders.leader(p.topic, p.partition)?.address === undefined,
    );
    if (unknown.length > 0 && refreshUnknown) {
      try {
        await this.#leaders.refresh([...new Set(unknown.map((p) => p.topic))]);
      } catch {
        // retried below
      }
    }
    let missing = false;
    for (const p of this.#positions.values()) {
      const address = this.#leaders.leader(p.topic, p.partition)?.address;
      if (address === undefined) {
        missing = true;
        continue;
      }
      if (!this.#loops.has(address)) {
        const loop: Loop = { call: undefined };
        this.#loops.set(address, loop);
        void this.#run(address, loop);
      }
    }
    if (missing && this.#routeTimer === undefined) {
      this.#routeTimer = setTimeout(() => {
        this.#routeTimer = undefined;
        void this.#route(true);
      }, ROUTE_RETRY_MS);
    }
  }

  async #run(address: string, loop: Loop): Promise<void> {
    const backoff = new Backoff(LOOP_BACKOFF);
    try {
      while (!this.#closed) {
        while (!this.#closed && this.#inUse >= this.options.settings.maxPrefetchBytes)
          await new Promise<void>((r) => this.#budgetWaiters.push(r));
        const now = Date.now();
        const mine = [...this.#positions.values()].filter(
          (p) => this.#leaders.leader(p.topic, p.partition)?.address === address,
        );
        if (mine.length === 0) return;
        const ready = mine.filter((p) => p.retryAt <= now);
        if (ready.length === 0) {
          const wait = Math.min(...mine.map((p) => p.retryAt)) - now;
          await sleep(Math.max(1, wait));
          continue;
        }
        let res: FetchResponse__Output;
        try {
          res = await this.#fetch(address, loop, ready);
          backoff.reset();
        } catch (err) {
          if (this.#closed) return;
          // A seek cancels the loop's Fetch to re-send it at the new offsets: no backoff.
          if (isCancelled(err)) continue;
          await backoff.wait();
          await this.#leaders.refresh().catch(() => undefined);
          continue;
        }
        this.#apply(res, ready);
      }
    } finally {
      if (this.#loops.get(address) === loop) this.#loops.delete(address);
      if (!this.#closed) void this.#route(true);
    }
  }

  #fetch(address: string, loop: Loop, ready: Position[]): Promise<FetchResponse__Output> {
    const s = this.options.settings;
    const topics = new Map<string, { partition: number; fetchOffset: number; partitionMaxBytes: number }[]>();
    for (const p of ready) {
      const list = topics.get(p.topic) ?? [];
      list.push({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: s.partitionMaxBytes });
      topics.set(p.topic, list);
    }
    const client = this.#connections.get(address);
    return new Promise((resolve, reject) => {
      loop.call = client.fetch(
        {
          maxWaitMs: s.maxWaitMs,
          minBytes: s.minBytes,
          maxBytes: s.maxBytes,
          topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
        },
        { deadline: Date.now() + s.maxWaitMs + (this.options.requestTimeoutMs ?? 30_000) },
        (err, r) => {
          loop.call = undefined;
          if (err) reject(fromGrpcError(err));
          else resolve(r!);
        },
      );
    });
  }

  #apply(res: FetchResponse__Output, ready: Position[]): void {
    const asked = new Map(ready.map((p) => [`${p.topic}/${p.partition}`, p.offset]));
    let reroute = false;
    let refresh = false;
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const key = `${t.topic}/${r.partition}`;
        const pos = this.#positions.get(key);
        const fetchOffset = int64ToNumber(r.fetchOffset, 'fetch_offset');
        if (pos === undefined || pos.offset !== fetchOffset || asked.get(key) !== fetchOffset) continue;
        const hw = int64ToNumber(r.highWatermark, 'high_watermark');
        if (r.errorCode !== 0) {
          const error = TributaryError.fromCode(r.errorCode, r.errorMessage);
          if (error.retriable && error.refreshMetadata) {
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
          this.#errors.push({
            topic: t.topic,
            partition: r.partition,
            error,
            logStartOffset: int64ToNumber(r.logStartOffset, 'log_start_offset'),
            highWatermark: hw,
          });
          continue;
        }
        pos.backoff.reset();
        const data = r.recordBatches;
        if (data.length === 0) continue;
        for (const { position, size, header } of batchesIn(data)) {
          const next = header.baseOffset + header.lastOffsetDelta + 1;
          if (next <= pos.offset) continue;
          let records: DecodedRecord[] = [];
          if (!header.isControl) {
            try {
              records = decodeRecordBatch(data, position).records.filter((rec) => rec.offset >= fetchOffset);
            } catch (err) {
              this.#positions.delete(key);
              this.#errors.push({
                topic: t.topic,
                partition: r.partition,
                error:
                  err instanceof TributaryError ? err : new TributaryError('CORRUPT_MESSAGE', String(err)),
                logStartOffset: int64ToNumber(r.logStartOffset, 'log_start_offset'),
                highWatermark: hw,
              });
              break;
            }
          }
          const from = pos.offset;
          pos.offset = next;
          if (records.length === 0) continue;
          this.#inUse += size;
          this.#batches.push({
            topic: t.topic,
            partition: r.partition,
            fetchOffset: from,
            nextOffset: next,
            highWatermark: hw,
            records,
            leaderEpoch: header.partitionLeaderEpoch,
            bytes: size,
          });
        }
      }
    }
    if (refresh)
      void this.#leaders.refresh().then(
        () => this.#route(false),
        () => undefined,
      );
    else if (reroute) void this.#route(false);
    if (this.#batches.length > 0 || this.#errors.length > 0) this.#wake();
  }
}
