/**
 * Idempotence (Kafka's `TransactionManager` minus transactions): the producer id and epoch from
 * the controller's InitProducerId, and per-partition sequence numbers assigned when a batch is
 * first encoded and kept through its retries, so the broker drops a retried batch it already
 * appended (answering with the original offset) and rejects gaps. If a batch fails for good,
 * the partition's later batches are renumbered from its sequence.
 *
 * Without a reachable controller (or one without InitProducerId) the producer takes a random
 * 52-bit producer id at epoch 0: unique in practice, but not fenced against a zombie instance.
 */
import type { TributaryError } from '@tributary/errors';
import {
  type ControllerServiceClient,
  createClient,
  type InitProducerIdResponse__Output,
  int64ToNumber,
} from '@tributary/proto';
import { type CompressionType, encodeRecordBatch } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import type { PartitionBatches } from './accumulator';
import type { ProducerBatch } from './batch';

const INT32_MAX = 0x7fffffff;
/** Deadline of InitProducerId when asked through metadata rather than a controller callback. */
const INIT_PRODUCER_ID_TIMEOUT_MS = 5000;

/** Calls the active controller (InitProducerId). */
export type ControllerCall = <T>(
  call: (client: ControllerServiceClient, deadline: Date) => Promise<T>,
) => Promise<T>;

export class Idempotence {
  #producerId = -1;
  #producerEpoch = -1;

  constructor(
    /** False: batches carry no producer id and no sequence numbers. */
    readonly enabled: boolean,
    private readonly compression: CompressionType,
    private readonly controller: ControllerCall | undefined,
    private readonly cluster: Cluster | undefined,
  ) {}

  get producerId(): number {
    return this.#producerId;
  }

  get producerEpoch(): number {
    return this.#producerEpoch;
  }

  /** Gets a producer id and epoch from the controller (or a random id, see the file header). */
  async init(): Promise<void> {
    if (!this.enabled) return;
    const fallback = () => {
      this.#producerId = Math.floor(Math.random() * 2 ** 52);
      this.#producerEpoch = 0;
    };
    try {
      let res: InitProducerIdResponse__Output;
      if (this.controller !== undefined) {
        res = await this.controller(
          (client, deadline) =>
            new Promise((resolve, reject) =>
              client.initProducerId({}, { deadline }, (e, r) => (e ? reject(e) : resolve(r!))),
            ),
        );
      } else if (this.cluster !== undefined) {
        const md = await this.cluster.metadata([]);
        const c = md.controller;
        if (c === null || c === undefined) return fallback();
        const client = createClient('ControllerService', `${c.host}:${c.port}`);
        try {
          res = await new Promise((resolve, reject) =>
            client.initProducerId({}, { deadline: Date.now() + INIT_PRODUCER_ID_TIMEOUT_MS }, (e, r) =>
              e ? reject(e) : resolve(r!),
            ),
          );
        } finally {
          client.close();
        }
      } else return fallback();
      this.#producerId = int64ToNumber(res.producerId, 'producer_id');
      this.#producerEpoch = int64ToNumber(res.producerEpoch, 'producer_epoch');
    } catch {
      fallback();
    }
  }

  /**
   * The batch's bytes: encoded once, with the partition's next sequence numbers, and encoded
   * again only if the partition was renumbered since.
   */
  encode(pq: PartitionBatches, b: ProducerBatch): Buffer {
    if (b.encoded !== undefined && (!this.enabled || b.sequenceGeneration === pq.sequenceGeneration))
      return b.encoded;
    const options: Parameters<typeof encodeRecordBatch>[1] = { compression: this.compression };
    if (this.enabled) {
      b.baseSequence = pq.nextSequence;
      b.sequenceGeneration = pq.sequenceGeneration;
      pq.nextSequence = (pq.nextSequence + b.records.length) % (INT32_MAX + 1);
      options.producerId = this.#producerId;
      options.producerEpoch = this.#producerEpoch;
      options.baseSequence = b.baseSequence;
    }
    b.encoded = encodeRecordBatch(b.records, options);
    return b.encoded;
  }

  /** Whether `err` on `b` may be retried: the table's flag, refined for sequence gaps. */
  retriable(pq: PartitionBatches, b: ProducerBatch, err: TributaryError): boolean {
    if (err.errorName !== 'OUT_OF_ORDER_SEQUENCE') return err.retriable;
    // A gap behind an earlier batch that failed and will be retried (or was renumbered).
    const stale = b.sequenceGeneration !== pq.sequenceGeneration;
    const earlierPending = pq.queue.indexOf(b) > 0;
    return stale || earlierPending;
  }

  /** `b` failed for good and was not appended: renumber the partition's later batches from its sequence. */
  failed(pq: PartitionBatches, b: ProducerBatch): void {
    if (this.enabled && b.baseSequence >= 0 && b.sequenceGeneration === pq.sequenceGeneration) {
      pq.nextSequence = b.baseSequence;
      pq.sequenceGeneration++;
    }
  }
}
