/**
 * A RecordSource over BrokerService.FetchStream: one stream per leader broker carrying every
 * partition the consumer reads from it, with byte credit equal to the prefetch budget (split
 * across streams) topped up as the consumer releases batches, so memory stays bounded by
 * `maxPrefetchBytes` (plus one batch per stream: the first batch always goes whole).
 *
 * Leadership errors move the partition to its new leader after a metadata refresh; other
 * errors (OFFSET_OUT_OF_RANGE, ...) are handed to the consumer, which decides.
 *
 * Stop-gap: the data plane's fetch loop (consumer/fetcher*.ts, issue 6) is meant to replace
 * this adapter behind the same RecordSource interface.
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';
import { type FetchStreamRequest, type FetchStreamResponse__Output, int64ToNumber } from '@tributary/proto';
import { batchesIn, type DecodedRecord, decodeRecordBatch } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import type { RecordSource, RecordSourceSettings, SourceBatch, SourcePartitionError } from './record-source';
import type { TopicPartition, TopicPartitionOffset } from './types';

type Stream = ClientDuplexStream<FetchStreamRequest, FetchStreamResponse__Output>;

interface BrokerStream {
  address: string;
  stream: Stream;
  partitions: Set<string>;
  /** Bytes of delivered batches not yet released. */
  outstanding: number;
}

const LEADERSHIP = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'BROKER_NOT_AVAILABLE',
]);

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class StreamRecordSource implements RecordSource {
  private readonly wanted = new Map<string, TopicPartitionOffset>();
  private readonly streams = new Map<string, BrokerStream>();
  private readonly routeOf = new Map<string, string>();
  private readonly ready: SourceBatch[] = [];
  private readonly errors: SourcePartitionError[] = [];
  private readonly streamOfBatch = new WeakMap<SourceBatch, BrokerStream>();
  private waiter: (() => void) | undefined;
  private closed = false;
  private routing: Promise<void> = Promise.resolve();
  private unrouted = new Set<string>();
  private retryDelay = 50;

  constructor(
    private readonly cluster: Cluster,
    private readonly settings: RecordSourceSettings,
  ) {}

  add(partitions: readonly TopicPartitionOffset[]): void {
    for (const p of partitions) {
      const k = key(p.topic, p.partition);
      this.wanted.set(k, { ...p });
      const route = this.routeOf.get(k);
      const bs = route === undefined ? undefined : this.streams.get(route);
      if (bs?.partitions.has(k)) {
        bs.stream.write({ update: { add: [this.fetchPartition(p)] } });
      } else this.unrouted.add(k);
    }
    this.scheduleRouting(0);
  }

  remove(partitions: readonly TopicPartition[]): void {
    for (const p of partitions) {
      const k = key(p.topic, p.partition);
      this.wanted.delete(k);
      this.unrouted.delete(k);
      const route = this.routeOf.get(k);
      this.routeOf.delete(k);
      const bs = route === undefined ? undefined : this.streams.get(route);
      if (bs?.partitions.delete(k) === true) {
        bs.stream.write({ update: { remove: [{ topic: p.topic, partition: p.partition }] } });
      }
    }
  }

  async next(): Promise<{ batches: SourceBatch[]; errors: SourcePartitionError[] } | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      if (this.ready.length > 0 || this.errors.length > 0) {
        return { batches: this.ready.splice(0), errors: this.errors.splice(0) };
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  release(batch: SourceBatch): void {
    const bs = this.streamOfBatch.get(batch);
    const bytes = batch.bytes;
    this.streamOfBatch.delete(batch);
    if (bs === undefined || bytes <= 0) return;
    bs.outstanding -= bytes;
    if (this.streams.get(bs.address) === bs) bs.stream.write({ credit: { responses: 0, bytes } });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const bs of this.streams.values()) bs.stream.cancel();
    this.streams.clear();
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private fetchPartition(p: TopicPartitionOffset) {
    return {
      topic: p.topic,
      partition: p.partition,
      fetchOffset: p.offset,
      partitionMaxBytes: this.settings.partitionMaxBytes,
    };
  }

  private scheduleRouting(delayMs: number): void {
    this.routing = this.routing.then(async () => {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      await this.route().catch(() => this.scheduleRouting(this.backoff()));
    });
  }

  private backoff(): number {
    const d = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, 2000);
    return d;
  }

  /** Sends every unrouted partition to its leader's stream. */
  private async route(): Promise<void> {
    if (this.closed || this.unrouted.size === 0) return;
    const topics = [
      ...new Set([...this.unrouted].map((k) => this.wanted.get(k)?.topic).filter((t) => t !== undefined)),
    ];
    const md = await this.cluster.metadata(topics as string[]);
    const brokers = new Map(md.brokers.map((b) => [b.brokerId, `${b.host}:${b.port}`]));
    const perBroker = new Map<string, TopicPartitionOffset[]>();
    let missing = false;
    for (const k of [...this.unrouted]) {
      const p = this.wanted.get(k);
      if (p === undefined) {
        this.unrouted.delete(k);
        continue;
      }
      const pm = md.topics
        .find((t) => t.name === p.topic)
        ?.partitions.find((x) => x.partition === p.partition);
      const address = pm === undefined ? undefined : brokers.get(pm.leaderId);
      if (address === undefined) {
        missing = true;
        continue;
      }
      this.unrouted.delete(k);
      perBroker.set(address, [...(perBroker.get(address) ?? []), p]);
    }
    for (const [address, ps] of perBroker) {
      for (const p of ps) {
        const k = key(p.topic, p.partition);
        const old = this.routeOf.get(k);
        if (old !== undefined && old !== address) {
          const ob = this.streams.get(old);
          if (ob?.partitions.delete(k) === true)
            ob.stream.write({ update: { remove: [{ topic: p.topic, partition: p.partition }] } });
        }
        this.routeOf.set(k, address);
      }
      let bs = this.streams.get(address);
      if (bs === undefined) {
        bs = this.open(address, ps, md.brokers.length);
      } else {
        for (const p of ps) bs.partitions.add(key(p.topic, p.partition));
        bs.stream.write({ update: { add: ps.map((p) => this.fetchPartition(p)) } });
      }
    }
    if (missing) this.scheduleRouting(this.backoff());
    else this.retryDelay = 50;
  }

  private open(address: string, ps: TopicPartitionOffset[], brokerCount: number): BrokerStream {
    const stream = this.cluster.broker(address).FetchStream();
    const bs: BrokerStream = {
      address,
      stream,
      partitions: new Set(ps.map((p) => key(p.topic, p.partition))),
      outstanding: 0,
    };
    this.streams.set(address, bs);
    const credit = Math.max(64 * 1024, Math.floor(this.settings.maxPrefetchBytes / Math.max(1, brokerCount)));
    stream.on('data', (res: FetchStreamResponse__Output) => this.onResponse(bs, res));
    stream.on('error', (err) => this.onStreamEnd(bs, fromGrpcError(err)));
    stream.on('end', () => this.onStreamEnd(bs, undefined));
    stream.write({
      start: {
        settings: {
          maxWaitMs: this.settings.maxWaitMs,
          minBytes: this.settings.minBytes,
          maxBytes: this.settings.maxBytes,
        },
        partitions: ps.map((p) => this.fetchPartition(p)),
        credit: { responses: 8, bytes: credit },
      },
    });
    return bs;
  }

  private onStreamEnd(bs: BrokerStream, err: TributaryError | undefined): void {
    if (this.streams.get(bs.address) !== bs) return;
    this.streams.delete(bs.address);
    if (this.closed) return;
    if (err !== undefined && !err.retriable && err.errorName !== 'UNKNOWN_SERVER_ERROR') {
      for (const k of bs.partitions) this.reportError(k, err, -1, -1);
      return;
    }
    for (const k of bs.partitions) {
      this.routeOf.delete(k);
      if (this.wanted.has(k)) this.unrouted.add(k);
    }
    this.scheduleRouting(this.backoff());
  }

  private reportError(k: string, error: TributaryError, logStartOffset: number, highWatermark: number): void {
    const p = this.wanted.get(k);
    if (p === undefined) return;
    this.errors.push({ topic: p.topic, partition: p.partition, error, logStartOffset, highWatermark });
    this.wakeUp();
  }

  private onResponse(bs: BrokerStream, res: FetchStreamResponse__Output): void {
    bs.stream.write({ credit: { responses: 1, bytes: 0 } });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        const k = key(t.topic, p.partition);
        const fetchOffset = int64ToNumber(p.fetchOffset, 'fetch_offset');
        const bytes = p.recordBatches.length;
        if (p.errorCode !== 0) {
          const err = TributaryError.fromCode(p.errorCode, p.errorMessage || undefined, {
            topic: t.topic,
            partition: p.partition,
          });
          if (bytes > 0) bs.stream.write({ credit: { responses: 0, bytes } });
          const wanted = this.wanted.get(k);
          if (LEADERSHIP.has(err.errorName) && wanted !== undefined) {
            bs.partitions.delete(k);
            this.routeOf.delete(k);
            this.unrouted.add(k);
            this.scheduleRouting(this.backoff());
          } else {
            this.reportError(
              k,
              err,
              int64ToNumber(p.logStartOffset, 'log_start_offset'),
              int64ToNumber(p.highWatermark, 'high_watermark'),
            );
          }
          continue;
        }
        const wanted = this.wanted.get(k);
        if (wanted === undefined || bytes === 0) {
          if (bytes > 0) bs.stream.write({ credit: { responses: 0, bytes } });
          continue;
        }
        const records: DecodedRecord[] = [];
        let nextOffset = fetchOffset;
        let leaderEpoch = -1;
        try {
          for (const b of batchesIn(p.recordBatches, { allowPartialTail: true })) {
            nextOffset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
            leaderEpoch = b.header.partitionLeaderEpoch;
            if (b.header.isControl) continue;
            const decoded = decodeRecordBatch(p.recordBatches, b.position);
            for (const r of decoded.records) if (r.offset >= fetchOffset) records.push(r);
          }
        } catch (err) {
          bs.stream.write({ credit: { responses: 0, bytes } });
          this.reportError(
            k,
            err instanceof TributaryError ? err : new TributaryError('CORRUPT_MESSAGE', String(err)),
            -1,
            -1,
          );
          continue;
        }
        wanted.offset = nextOffset;
        const batch: SourceBatch = {
          topic: t.topic,
          partition: p.partition,
          fetchOffset,
          nextOffset,
          highWatermark: int64ToNumber(p.highWatermark, 'high_watermark'),
          records,
          leaderEpoch,
          bytes,
        };
        bs.outstanding += bytes;
        this.streamOfBatch.set(batch, bs);
        this.ready.push(batch);
      }
    }
    if (this.ready.length > 0) this.wakeUp();
  }
}
