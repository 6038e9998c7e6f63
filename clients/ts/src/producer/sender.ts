/**
 * The sender (Kafka's `Sender`): takes the sealed batches of every partition and sends them to
 * the partitions' leaders. The ready batches of every partition led by one broker travel in one
 * ProduceRequest over that broker's ProduceStream, with up to `maxInFlightRequestsPerBroker`
 * requests outstanding.
 *
 * Retries: retriable errors (the error table's flag) are retried per batch under the retry
 * policy (`retryBackoffMs` doubling to `maxRetryBackoffMs`, with jitter) until
 * `deliveryTimeoutMs`; errors the table marks `refreshMetadata` refresh metadata first, unless
 * the broker's answer named the new leader (`current_leader`, Kafka's KIP-951): then the batch
 * goes there at once, without a Metadata round trip or a backoff. Batches
 * of a partition are always (re)sent in order: a batch waits behind an earlier one of its
 * partition that is waiting to be retried.
 */
import type { ChannelCredentials } from '@grpc/grpc-js';
import { TributaryError } from '@tributary/errors';
import type { ProducePartitionResponse__Output, ProduceRequest } from '@tributary/proto';
import { int64ToNumber, type TokenSource } from '@tributary/proto';
import { BrokerConnections } from '../internal/connections';
import type { LeaderCache } from '../internal/leader-cache';
import { ProduceStreamConnection } from '../internal/produce-stream';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelayMs } from '../internal/retry';
import type { ProducerMetrics } from '../telemetry/producer-metrics';
import type { PartitionBatches, RecordAccumulator } from './accumulator';
import type { ProducerBatch } from './batch';
import type { Idempotence } from './idempotence';
import type { ResolvedProducerOptions } from './types';

export class Sender {
  readonly #connections: BrokerConnections;
  readonly #streams = new Map<string, ProduceStreamConnection>();
  readonly #retryPolicy: RetryPolicy;
  #drainScheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #retries = 0;

  constructor(
    private readonly options: ResolvedProducerOptions,
    private readonly leaders: LeaderCache,
    private readonly accumulator: RecordAccumulator,
    private readonly idempotence: Idempotence,
    private readonly metrics: ProducerMetrics,
    credentials: ChannelCredentials,
    token?: TokenSource,
  ) {
    this.#connections = new BrokerConnections(credentials, token);
    this.#retryPolicy = {
      ...DEFAULT_RETRY_POLICY,
      initialRetryTimeMs: options.retryBackoffMs,
      maxRetryTimeMs: options.maxRetryBackoffMs,
    };
  }

  /** Batches re-sent after a retriable error so far. */
  get retries(): number {
    return this.#retries;
  }

  /** Drains on the next turn of the event loop (once, however often it is asked). */
  scheduleDrain(): void {
    if (this.#drainScheduled || this.#closed) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  /** Closes every stream and connection. */
  close(): void {
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    for (const s of this.#streams.values()) s.close();
    this.#streams.clear();
    this.#connections.close();
  }

  #stream(address: string): ProduceStreamConnection {
    let s = this.#streams.get(address);
    if (s === undefined || s.broken) {
      s = new ProduceStreamConnection(
        this.#connections.get(address),
        address,
        this.options.maxInFlightRequestsPerBroker,
        () => this.scheduleDrain(),
      );
      this.#streams.set(address, s);
    }
    return s;
  }

  /**
   * Sends what can be sent: per broker, the sendable batches of its partitions, at most
   * `maxRequestSize` of them a request (Kafka's `max.request.size`, 1 MiB), in as many requests as
   * its stream has room for. What does not fit stays in the accumulator, where a batch not yet
   * sent keeps taking records: with thousands of partitions the producer's buffer is not spread
   * over every partition in flight, it waits in fewer, larger batches (docs/scale.md, eighth
   * round). A partition sent goes to the back of `pending` (Kafka's per-node drain index), so the
   * ones left out go first next time and none starves behind partitions that always have data.
   */
  #drain(): void {
    // A new producer id is on its way: batches encoded now would carry the old one.
    if (this.idempotence.renewing) return;
    const now = Date.now();
    const byAddress = new Map<string, Drained>();
    let nextRetry = Number.POSITIVE_INFINITY;
    let needMetadata = false;
    const expired: [PartitionBatches, ProducerBatch][] = [];
    for (const pq of this.accumulator.pending) {
      let inFlight = -1;
      let target: Drained | undefined;
      for (const b of pq.queue) {
        if (b.inFlight) continue;
        if (now >= b.deadline && b.attempts > 0) {
          expired.push([pq, b]);
          continue;
        }
        if (b.retryAt > now) {
          nextRetry = Math.min(nextRetry, b.retryAt);
          break; // later batches of the partition wait behind it
        }
        if (inFlight < 0) inFlight = pq.inFlight;
        if (inFlight >= this.options.maxInFlightBatchesPerPartition) break;
        if (target === undefined) {
          const leader = this.leaders.leader(b.topic, b.partition);
          if (leader?.address === undefined) {
            needMetadata = true;
            b.retryAt = now + this.options.retryBackoffMs;
            nextRetry = Math.min(nextRetry, b.retryAt);
            break;
          }
          target = byAddress.get(leader.address);
          if (target === undefined) {
            const stream = this.#stream(leader.address);
            target = { stream, room: stream.room * this.options.maxRequestSize, bytes: 0, batches: [] };
            byAddress.set(leader.address, target);
          }
        }
        // The broker's requests that can go now are full: the rest waits, and grows.
        if (target.bytes >= target.room) break;
        target.batches.push({ pq, b });
        target.bytes += b.bytes;
        inFlight++;
      }
    }
    if (needMetadata) void this.leaders.refresh().catch(() => undefined);
    for (const { stream, batches } of byAddress.values()) {
      // One batch per partition per request (the broker refuses a partition twice); a
      // partition's next batch goes in the next request on the same stream, so it is appended
      // after the previous one.
      let remaining = batches;
      while (remaining.length > 0 && stream.canSend()) {
        const request: ProducerBatch[] = [];
        const rest: DrainedBatch[] = [];
        const partitions = new Set<PartitionBatches>();
        let size = 0;
        for (const d of remaining) {
          if (
            !partitions.has(d.pq) &&
            (request.length === 0 || size + d.b.bytes <= this.options.maxRequestSize)
          ) {
            partitions.add(d.pq);
            size += d.b.bytes;
            request.push(d.b);
            this.accumulator.toBack(d.pq);
          } else rest.push(d);
        }
        this.#sendRequest(stream, request);
        remaining = rest;
      }
    }
    for (const [pq, b] of expired) {
      this.#fail(
        pq,
        b,
        b.lastError ??
          new TributaryError(
            'REQUEST_TIMED_OUT',
            `${b.topic}/${b.partition}: not delivered within deliveryTimeoutMs`,
          ),
      );
    }
    if (Number.isFinite(nextRetry)) {
      if (this.#retryTimer) clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => this.scheduleDrain(), Math.max(1, nextRetry - Date.now()));
    }
  }

  #sendRequest(stream: ProduceStreamConnection, batches: ProducerBatch[]): void {
    const request: ProduceRequest = { acks: this.options.acks, timeoutMs: this.options.ackTimeoutMs };
    // Per topic, the partitions' data and their batches in the same order: the broker answers
    // in the request's order, so a result is matched by position (see #resultFor).
    const topics = new Map<
      string,
      { data: { partition: number; recordBatches: Buffer; traced?: boolean }[]; batches: ProducerBatch[] }
    >();
    for (const b of batches) {
      const pq = this.accumulator.partition(b.topic, b.partition);
      let bytes: Buffer;
      try {
        bytes = this.idempotence.encode(pq, b);
      } catch (err) {
        this.#fail(pq, b, err);
        continue;
      }
      b.inFlight = true;
      b.attempts++;
      if (b.attempts === 1) this.metrics.batchSent(b.topic, bytes.length, b.count);
      let group = topics.get(b.topic);
      if (group === undefined) {
        group = { data: [], batches: [] };
        topics.set(b.topic, group);
      }
      const data: { partition: number; recordBatches: Buffer; traced?: boolean } = {
        partition: b.partition,
        recordBatches: bytes,
      };
      // A sampled record in the request: its context goes on the request, and its partition is
      // marked so the broker traces that partition's append only (none when untraced).
      if (b.traceContext !== undefined && request.traceContext === undefined) {
        request.traceContext = b.traceContext;
        data.traced = true;
      }
      group.data.push(data);
      group.batches.push(b);
    }
    if (topics.size === 0) return;
    const groups = [...topics.values()];
    request.topics = [...topics].map(([topic, g]) => ({ topic, partitions: g.data }));
    stream.send(request).then(
      (res) => {
        let byKey: Map<string, ProducePartitionResponse__Output> | undefined;
        for (let i = 0; i < groups.length; i++) {
          const sent = groups[i]!.batches;
          for (let j = 0; j < sent.length; j++) {
            const b = sent[j]!;
            let r: ProducePartitionResponse__Output | undefined = res.topics[i]?.partitions[j];
            if (res.topics[i]?.topic !== b.topic || r?.partition !== b.partition) {
              // Not in the request's order (a broker that reorders): look it up.
              byKey ??= resultsByKey(res.topics);
              r = byKey.get(`${b.topic}/${b.partition}`);
            }
            if (r === undefined)
              this.#onError(b, new TributaryError('UNKNOWN_SERVER_ERROR', 'no result for the partition'));
            else if (r.errorCode !== 0)
              this.#onError(
                b,
                TributaryError.fromCode(r.errorCode, r.errorMessage),
                this.leaders.applyLeaderHint(b.topic, b.partition, r.currentLeader),
              );
            else this.#onSuccess(b, r);
          }
        }
        this.scheduleDrain();
      },
      (err: unknown) => {
        for (const g of groups) for (const b of g.batches) this.#onError(b, err);
        this.scheduleDrain();
      },
    );
  }

  #onSuccess(b: ProducerBatch, r: ProducePartitionResponse__Output): void {
    b.succeed(
      int64ToNumber(r.baseOffset, 'base_offset'),
      int64ToNumber(r.logAppendTimeMs, 'log_append_time_ms'),
    );
    this.accumulator.remove(this.accumulator.partition(b.topic, b.partition), b);
    this.metrics.recordsDone(b.topic, b.count);
  }

  /** `hinted`: the answer named the new leader (KIP-951): resend there now, no refresh, no backoff. */
  #onError(b: ProducerBatch, err: unknown, hinted = false): void {
    const pq = this.accumulator.partition(b.topic, b.partition);
    b.inFlight = false;
    const e = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
    b.lastError = e;
    if (this.idempotence.retriable(pq, b, e) && Date.now() < b.deadline) {
      this.#retries++;
      this.metrics.retried(b.topic, e.errorName);
      b.retryAt = hinted ? 0 : Date.now() + retryDelayMs(this.#retryPolicy, b.attempts - 1);
      if (e.refreshMetadata && !hinted) void this.leaders.refresh().catch(() => undefined);
      return;
    }
    this.#fail(pq, b, e);
  }

  #fail(pq: PartitionBatches, b: ProducerBatch, err: unknown): void {
    this.idempotence.failed(pq, b, () => this.scheduleDrain());
    b.fail(err);
    this.accumulator.remove(pq, b);
    const errorType = err instanceof TributaryError ? err.errorName : 'UNKNOWN_SERVER_ERROR';
    this.metrics.recordsDone(b.topic, b.count, errorType);
  }
}

/** A broker's share of one drain: the batches to send and the bytes its free requests can take. */
interface Drained {
  readonly stream: ProduceStreamConnection;
  readonly room: number;
  bytes: number;
  readonly batches: DrainedBatch[];
}

interface DrainedBatch {
  readonly pq: PartitionBatches;
  readonly b: ProducerBatch;
}

function resultsByKey(
  topics: readonly { topic: string; partitions: readonly ProducePartitionResponse__Output[] }[],
): Map<string, ProducePartitionResponse__Output> {
  const results = new Map<string, ProducePartitionResponse__Output>();
  for (const t of topics) for (const p of t.partitions) results.set(`${t.topic}/${p.partition}`, p);
  return results;
}
