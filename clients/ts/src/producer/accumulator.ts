/**
 * The record accumulator (Kafka's `RecordAccumulator`): records gather per partition into a
 * batch until it holds `batchSize` bytes or `lingerMs` has passed, then the batch is sealed
 * onto the partition's queue for the sender. Queues with sealed batches are kept in `pending`,
 * so the sender walks the busy partitions only, however many the topic has.
 *
 * Lingering batches share one timer: batches open in time order and all linger `lingerMs`, so
 * they wait in a FIFO and the timer is set for the oldest. A timer per partition cost a
 * setTimeout and a clearTimeout per batch, which is per record when keys spread records over
 * thousands of partitions (issue 13). `lingerMs` 0 likewise seals on one setImmediate.
 *
 * As Kafka's, it holds the producer's memory bound (`memory`, `bufferMemory`): a batch's bytes
 * are given back when the batch is done, acknowledged or failed (`remove`).
 */
import type { RecordInput } from '@tributary/record-batch';
import type { RequestTraceContext } from '../telemetry/send-tracing';
import { estimateSize, ProducerBatch, type SendCall } from './batch';
import { BufferMemory } from './buffer-memory';
import type { ResolvedProducerOptions } from './types';

/** One partition's batches: the open one still taking records, and the sealed ones in order. */
export class PartitionBatches {
  open: ProducerBatch | undefined;
  readonly queue: ProducerBatch[] = [];
  /** Idempotence: the sequence number of the next batch, and how often it was renumbered. */
  nextSequence = 0;
  sequenceGeneration = 0;
  /** The producer id generation these sequences belong to (see Idempotence). */
  idGeneration = 0;
  /** The size of its last batch when sealed: what the next one's buffer starts with. */
  lastBatchBytes = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get inFlight(): number {
    let n = 0;
    for (const b of this.queue) if (b.inFlight) n++;
    return n;
  }
}

export class RecordAccumulator {
  /**
   * By topic, then by partition number: looked up once per record, so no per-record string key
   * (building and hashing `topic/partition` was 12 % of a producer's CPU in bench:profile).
   */
  readonly #partitions = new Map<string, PartitionBatches[]>();
  /**
   * Partitions with sealed batches: in the order they first had one, then a partition the sender
   * sent a batch of moves to the back (`toBack`), so the sender serves them in turn.
   */
  readonly pending = new Set<PartitionBatches>();
  /** Open batches by age, from `#lingerHead` on: sealed when their linger is over. */
  #lingering: Lingering[] = [];
  #lingerHead = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #sealImmediate: NodeJS.Immediate | undefined;
  /** The bytes of records appended and not yet done, within `bufferMemory`. */
  readonly memory: BufferMemory;

  constructor(
    private readonly options: Pick<
      ResolvedProducerOptions,
      'batchSize' | 'lingerMs' | 'deliveryTimeoutMs' | 'bufferMemory' | 'maxBlockMs'
    >,
    /** Called when a batch is sealed: the sender has work. */
    private readonly onSealed: () => void,
  ) {
    this.memory = new BufferMemory(options.bufferMemory, options.maxBlockMs);
  }

  /** The batches of a partition (created on first use). */
  partition(topic: string, partition: number): PartitionBatches {
    let byNumber = this.#partitions.get(topic);
    if (byNumber === undefined) {
      byNumber = [];
      this.#partitions.set(topic, byNumber);
    }
    let pq = byNumber[partition];
    if (pq === undefined) {
      pq = new PartitionBatches(topic, partition);
      byNumber[partition] = pq;
    }
    return pq;
  }

  /**
   * Adds record `index` of `call` to the partition's open batch; `traced`: the record is sampled.
   * Its bytes must have been taken from `memory` (the producer takes a send's at once).
   */
  append(
    topic: string,
    partition: number,
    input: RecordInput,
    call: SendCall,
    index: number,
    traced?: RequestTraceContext,
  ): void {
    const pq = this.partition(topic, partition);
    let b = pq.open;
    if (b === undefined) {
      // As Kafka's accumulator: a batch that is ready but not sent yet (the partition's
      // in-flight limit holds it back) keeps taking records until it is full.
      const last = pq.queue.at(-1);
      if (last !== undefined && last.attempts === 0 && !last.inFlight && last.bytes < this.options.batchSize)
        b = last;
    }
    // A timestamp too far from the batch's first for a delta (over 2^53 ms): a batch of its own.
    if (b !== undefined && !b.accepts(input.timestamp ?? Date.now())) {
      if (b === pq.open) this.seal(pq);
      b = undefined;
    }
    if (b === undefined) {
      b = new ProducerBatch(
        topic,
        partition,
        this.options.deliveryTimeoutMs,
        this.options.batchSize,
        // A quarter more than the last batch took: a steady partition's batch fits one buffer.
        pq.lastBatchBytes === 0 ? undefined : pq.lastBatchBytes + (pq.lastBatchBytes >> 2),
      );
      pq.open = b;
      this.#linger(pq, b);
    }
    b.append(input, call, index);
    if (traced !== undefined) b.traceContext ??= traced;
    b.bytes += estimateSize(input);
    if (b.bytes >= this.options.batchSize) this.seal(pq);
  }

  /** Moves the partition's open batch onto its queue (its linger entry goes stale). */
  seal(pq: PartitionBatches): void {
    const b = pq.open;
    if (b === undefined) return;
    pq.open = undefined;
    pq.lastBatchBytes = b.sizeInBytes;
    pq.queue.push(b);
    this.pending.add(pq);
    this.onSealed();
  }

  /** Seals every open batch; resolves when every batch accumulated so far is done. */
  sealAll(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const byNumber of this.#partitions.values()) {
      for (const pq of byNumber) {
        if (pq === undefined) continue;
        if (pq.open !== undefined) this.seal(pq);
        for (const b of pq.queue) waits.push(b.whenDone());
      }
    }
    // Every open batch is sealed: what lingers is stale, and no timer should outlive the producer.
    this.#lingering = [];
    this.#lingerHead = 0;
    if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    if (this.#sealImmediate !== undefined) clearImmediate(this.#sealImmediate);
    this.#lingerTimer = undefined;
    this.#sealImmediate = undefined;
    return Promise.all(waits).then(() => undefined);
  }

  /** Open batches in the lingering FIFO, stale ones included (for tests: one entry per batch). */
  get lingeringCount(): number {
    return this.#lingering.length - this.#lingerHead;
  }

  /** Queues `b` to be sealed when its linger is over, arming the one timer if it is not. */
  #linger(pq: PartitionBatches, b: ProducerBatch): void {
    this.#lingering.push({ pq, batch: b, due: Date.now() + this.options.lingerMs });
    if (this.options.lingerMs === 0) {
      // lingerMs 0 still gathers the records sent in the same tick, but seals on setImmediate:
      // setTimeout(0) waits a whole millisecond, which showed up in every record's latency.
      this.#sealImmediate ??= setImmediate(() => {
        this.#sealImmediate = undefined;
        this.#sealDue(Number.POSITIVE_INFINITY);
      });
    } else this.#lingerTimer ??= setTimeout(() => this.#onLingerTimer(), this.options.lingerMs);
  }

  #onLingerTimer(): void {
    this.#lingerTimer = undefined;
    this.#sealDue(Date.now());
    const next = this.#lingering[this.#lingerHead];
    if (next !== undefined)
      this.#lingerTimer = setTimeout(() => this.#onLingerTimer(), Math.max(1, next.due - Date.now()));
  }

  /** Seals every still-open batch whose linger ended by `now`; drops stale entries. */
  #sealDue(now: number): void {
    const q = this.#lingering;
    while (this.#lingerHead < q.length && q[this.#lingerHead]!.due <= now) {
      const { pq, batch } = q[this.#lingerHead]!;
      q[this.#lingerHead++] = undefined as unknown as Lingering;
      if (pq.open === batch) this.seal(pq);
    }
    // Compact now and then, so the FIFO's storage stays proportional to what lingers.
    if (this.#lingerHead === q.length) {
      this.#lingering = [];
      this.#lingerHead = 0;
    } else if (this.#lingerHead > 1024 && this.#lingerHead * 2 > q.length) {
      this.#lingering = q.slice(this.#lingerHead);
      this.#lingerHead = 0;
    }
  }

  /** The sender sent a batch of `pq`: it goes behind the partitions still waiting (see Sender). */
  toBack(pq: PartitionBatches): void {
    if (this.pending.delete(pq)) this.pending.add(pq);
  }

  /** Takes a finished batch off its partition's queue and gives its bytes back to `memory`. */
  remove(pq: PartitionBatches, b: ProducerBatch): void {
    const i = pq.queue.indexOf(b);
    if (i >= 0) pq.queue.splice(i, 1);
    if (pq.queue.length === 0) this.pending.delete(pq);
    if (b.done) return; // its bytes are back already
    this.memory.release(b.bytes);
    b.finish();
  }
}

/** An open batch waiting for its linger to end. */
interface Lingering {
  readonly pq: PartitionBatches;
  readonly batch: ProducerBatch;
  readonly due: number;
}
