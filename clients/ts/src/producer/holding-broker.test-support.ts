/**
 * A fake broker (fake-broker.test-support.ts) that holds every produce request until the test
 * acknowledges it, giving offsets per partition in arrival order as a leader appends, and the
 * producers made against it: what the producer's buffer and drain tests watch (test support,
 * not built into the package).
 */
import { readBatchHeader } from '@tributary/record-batch';
import { type FakeBroker, oneBrokerMetadata, startFakeBroker } from './fake-broker.test-support';
import { Producer } from './producer';
import type { ProducerOptions } from './types';

export interface HeldRequest {
  /** Per partition of the request, in its order: how many records its batch holds. */
  readonly batches: readonly { partition: number; records: number }[];
  readonly records: number;
  /** Sends the request's answer (acknowledges it). */
  write(): void;
}

export class HoldingBroker {
  /** Requests received and not yet acknowledged, oldest first. */
  readonly held: HeldRequest[] = [];
  /** Records received (acknowledged or not) since the last `reset`. */
  received = 0;
  readonly #nextOffset = new Map<number, number>();
  readonly #producers: Producer[] = [];
  #broker: FakeBroker | undefined;

  constructor(
    readonly topic: string,
    readonly partitions: number,
  ) {}

  async start(): Promise<void> {
    this.#broker = await startFakeBroker((request, reply) => {
      const batches: { partition: number; records: number }[] = [];
      const topics = request.request!.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const records = readBatchHeader(p.recordBatches!).recordCount;
          batches.push({ partition: p.partition, records });
          const baseOffset = this.#nextOffset.get(p.partition) ?? 0;
          this.#nextOffset.set(p.partition, baseOffset + records);
          return {
            partition: p.partition,
            errorCode: 0 as const,
            baseOffset,
            logAppendTimeMs: -1,
            logStartOffset: 0,
          };
        }),
      }));
      const records = batches.reduce((sum, b) => sum + b.records, 0);
      this.received += records;
      this.held.push({ batches, records, write: () => reply({ topics }) });
    });
  }

  /** A producer of this broker's topic (acks 1, not idempotent, no linger, then `options`). */
  producer(options: ProducerOptions = {}): Producer {
    const metadata = oneBrokerMetadata(this.#broker!.port, this.topic, this.partitions);
    const p = new Producer({ metadata, acks: 1, idempotent: false, lingerMs: 0, ...options });
    this.#producers.push(p);
    return p;
  }

  ackAll(): void {
    for (const r of this.held.splice(0)) r.write();
  }

  /** Disconnects the producers made since the last call, acknowledging what they still send. */
  async reset(): Promise<void> {
    const acking = setInterval(() => this.ackAll(), 5);
    try {
      await Promise.all(this.#producers.splice(0).map((p) => p.disconnect()));
    } finally {
      clearInterval(acking);
    }
    this.held.length = 0;
    this.received = 0;
    this.#nextOffset.clear();
  }

  stop(): void {
    this.#broker?.server.forceShutdown();
  }
}

/** Waits for `condition`, letting the producer's drains and the loopback round trips run. */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
