/**
 * The fault suite's workload, run from the root namespace with the TypeScript client: several
 * acks=all idempotent producers writing unique values `<producer>:<seq>` round-robin over the
 * partitions, and a consumer group reading them. Every send, acknowledgement, failure, read and
 * change of partition ownership is recorded for the checker.
 */
import { type Consumer, Tributary } from '@tributary/client';
import { waitFor } from '@tributary/test-kit';
import type { History, Ownership, ReadRecord, SendRecord } from './checker';

export interface WorkloadOptions {
  bootstrap: readonly string[];
  topic: string;
  partitions: number;
  group: string;
  producers: number;
  consumers: number;
  /** Records per second per producer. */
  ratePerProducer: number;
  /** Sends a producer may have unacknowledged before it skips a tick (bounds memory while a partition is down). */
  maxPendingPerProducer: number;
  /** How long a record may be retried before its send fails (`deliveryTimeoutMs`). */
  deliveryTimeoutMs: number;
}

/** The client exports the producer only through `Tributary.producer()`. */
type Producer = ReturnType<Tributary['producer']>;

const TICK_MS = 50;
const now = () => performance.now();

/** The error's name in the error table (a TributaryError's `errorName`), else its message. */
export function errorName(err: unknown): string {
  const e = err as { errorName?: unknown; message?: unknown };
  return typeof e?.errorName === 'string' ? e.errorName : String(e?.message ?? err);
}

export class Workload {
  readonly sends: SendRecord[] = [];
  readonly reads: ReadRecord[] = [];
  readonly ownership: Ownership[] = [];
  /** Failed sends by error code, for the report (a storage error must be clear, e.g.). */
  readonly errors = new Map<string, number>();
  private readonly clients: Tributary[] = [];
  private readonly producers: Producer[] = [];
  private readonly consumers: Consumer[] = [];
  private readonly pending = new Set<Promise<void>>();
  private timers: NodeJS.Timeout[] = [];
  private writeStart = 0;
  private writeEnd = 0;
  private writing = false;

  constructor(private readonly options: WorkloadOptions) {}

  get group(): string {
    return this.options.group;
  }

  private client(clientId: string): Tributary {
    const client = new Tributary({ bootstrap: this.options.bootstrap, clientId, requestTimeoutMs: 10_000 });
    this.clients.push(client);
    return client;
  }

  /** Joins the consumer group and starts the producers (each sends one warm-up record first). */
  async start(): Promise<void> {
    const { topic } = this.options;
    for (let i = 0; i < this.options.consumers; i++) {
      const member = `c${i}`;
      const consumer = this.client(`fault-${member}`).consumer({
        groupId: this.options.group,
        sessionTimeoutMs: 6000,
        autoCommitIntervalMs: 1000,
      });
      this.consumers.push(consumer);
      const open = new Map<number, Ownership>();
      const close = (partitions: ReadonlyArray<{ partition: number }>) => {
        for (const { partition } of partitions) {
          const o = open.get(partition);
          if (o) o.to = now();
          open.delete(partition);
        }
      };
      consumer.onRebalance({
        onPartitionsAssigned: (partitions) => {
          for (const { partition } of partitions) {
            const o: Ownership = { member, partition, from: now(), to: Number.POSITIVE_INFINITY };
            open.set(partition, o);
            this.ownership.push(o);
          }
        },
        onPartitionsRevoked: close,
        onPartitionsLost: (partitions) => close(partitions.length > 0 ? partitions : [...open.values()]),
      });
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      void consumer
        .run({
          eachMessage: ({ message }) => {
            this.reads.push({
              reader: member,
              partition: message.partition,
              offset: message.offset,
              value: message.value?.toString() ?? '',
              at: now(),
            });
          },
        })
        .catch(() => undefined);
    }
    for (let i = 0; i < this.options.producers; i++) {
      const name = `p${i}`;
      const producer = this.client(`fault-${name}`).producer({
        acks: -1,
        idempotent: true,
        ackTimeoutMs: 5000,
        deliveryTimeoutMs: this.options.deliveryTimeoutMs,
      });
      this.producers.push(producer);
      // The first send connects and learns the partition count, so later sends enter the
      // producer's queues in call order (the order the checker holds them to).
      await this.sendBatch(name, producer, 1);
    }
    this.writing = true;
    this.writeStart = now();
    const perTick = (this.options.ratePerProducer * TICK_MS) / 1000;
    this.producers.forEach((producer, i) => {
      let credit = 0;
      this.timers.push(
        setInterval(() => {
          credit += perTick;
          const count = Math.floor(credit);
          credit -= count;
          if (count > 0) void this.sendBatch(`p${i}`, producer, count);
        }, TICK_MS),
      );
    });
  }

  private pendingOf = new Map<string, number>();
  private seqOf = new Map<string, number>();

  /** One `send` call with `count` records (one call keeps their order). */
  private sendBatch(name: string, producer: Producer, count: number): Promise<void> {
    const pendingNow = this.pendingOf.get(name) ?? 0;
    if (pendingNow >= this.options.maxPendingPerProducer) return Promise.resolve();
    const records: SendRecord[] = [];
    for (let k = 0; k < count; k++) {
      const seq = this.seqOf.get(name) ?? 0;
      this.seqOf.set(name, seq + 1);
      const partition = seq % this.options.partitions;
      const record: SendRecord = { producer: name, seq, partition, value: `${name}:${seq}`, sentAt: now() };
      records.push(record);
      this.sends.push(record);
    }
    this.pendingOf.set(name, pendingNow + count);
    const done = producer
      .send({
        topic: this.options.topic,
        messages: records.map((r) => ({ partition: r.partition, value: r.value })),
      })
      .then(
        (metadata) => {
          const at = now();
          metadata.forEach((m, k) => {
            records[k]!.ack = { offset: m.offset, at };
          });
        },
        (err) => {
          const code = errorName(err);
          this.errors.set(code, (this.errors.get(code) ?? 0) + records.length);
          // A send call fails whole in the client; records it had already written are indeterminate.
          for (const r of records) r.error = code;
        },
      )
      .finally(() => {
        this.pendingOf.set(name, (this.pendingOf.get(name) ?? 0) - count);
        this.pending.delete(done);
      });
    this.pending.add(done);
    return done;
  }

  /** Acknowledged writes so far (progress, and "writes resumed" checks). */
  get acknowledged(): number {
    let n = 0;
    for (const s of this.sends) if (s.ack) n++;
    return n;
  }

  /** Time of the newest acknowledgement of `partition` (or of any partition), -Infinity if none. */
  lastAckAt(partition?: number): number {
    let last = Number.NEGATIVE_INFINITY;
    for (const s of this.sends) {
      if (s.ack && (partition === undefined || s.partition === partition)) last = Math.max(last, s.ack.at);
    }
    return last;
  }

  /** When the first send to `partition` issued after `since` was acknowledged (undefined: none yet). */
  firstAckOfSendAfter(partition: number, since: number): number | undefined {
    let first: number | undefined;
    for (const s of this.sends) {
      if (s.partition === partition && s.sentAt > since && s.ack)
        first = Math.min(first ?? s.ack.at, s.ack.at);
    }
    return first;
  }

  /** Stops issuing sends and waits for every outstanding send to be acknowledged or to fail. */
  async stopWriting(): Promise<void> {
    if (!this.writing) return;
    this.writing = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.writeEnd = now();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Waits (bounded) until the group has read every acknowledged value. */
  async waitConsumed(timeoutMs: number): Promise<boolean> {
    const read = new Set<string>();
    let seen = 0;
    try {
      await waitFor(
        () => {
          for (; seen < this.reads.length; seen++) read.add(this.reads[seen]!.value);
          return this.sends.every((s) => !s.ack || read.has(s.value));
        },
        { timeoutMs, intervalMs: 250, description: 'the group to read every acknowledged record' },
      );
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads every partition from its log start to its high watermark with a fresh consumer outside
   * the group (Jepsen's final reads), and returns the log start offsets.
   */
  async finalRead(timeoutMs: number): Promise<Map<number, number>> {
    const client = this.client('fault-final-reader');
    const admin = client.admin();
    const offsets = await admin.fetchTopicOffsets(this.options.topic);
    const consumer = client.consumer({ autoOffsetReset: 'earliest' });
    this.consumers.push(consumer);
    const positions = new Map(offsets.map((o) => [o.partition, o.earliest]));
    await consumer.assign(
      offsets.map((o) => ({ topic: this.options.topic, partition: o.partition, offset: o.earliest })),
    );
    void consumer
      .run({
        eachMessage: ({ message }) => {
          this.reads.push({
            reader: 'final',
            partition: message.partition,
            offset: message.offset,
            value: message.value?.toString() ?? '',
            at: now(),
          });
          positions.set(message.partition, message.offset + 1);
        },
      })
      .catch(() => undefined);
    await waitFor(() => offsets.every((o) => (positions.get(o.partition) ?? 0) >= o.latest), {
      timeoutMs,
      intervalMs: 100,
      description: 'the final read to reach every high watermark',
    });
    return new Map(offsets.map((o) => [o.partition, o.earliest]));
  }

  history(logStartOffsets: ReadonlyMap<number, number>): History {
    return {
      sends: this.sends,
      reads: this.reads,
      ownership: this.ownership,
      logStartOffsets,
      writeWindow: { from: this.writeStart, to: this.writeEnd },
    };
  }

  /** Disconnects every client (bounded: a client stuck on a dead broker does not hold the suite). */
  async close(): Promise<void> {
    await this.stopWriting();
    const closing = Promise.allSettled(this.clients.map((c) => c.close()));
    await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
}
