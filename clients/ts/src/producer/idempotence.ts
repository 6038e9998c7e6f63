/**
 * Idempotence (Kafka's `TransactionManager` minus transactions): the producer id and epoch from
 * the controller's InitProducerId, and per-partition sequence numbers assigned when a batch is
 * first encoded and kept through its retries, so the broker drops a retried batch it already
 * appended (answering with the original offset) and rejects gaps. If a batch fails for good and
 * was not appended, the partition's later batches are renumbered from its sequence. If it may
 * have been appended (an acks=all timeout, a leadership change after the append, a broken
 * stream), its sequence numbers may be taken on the broker: given to other records they would be
 * answered as duplicates of it, with its offset, though never stored. So the producer takes a
 * new producer id instead and every partition starts again at sequence 0 (Kafka bumps the
 * epoch, KIP-360); a batch that may be appended keeps its old bytes through its own retries, so
 * the broker still recognises it.
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
import { type CompressionType, withProducerState } from '@tributary/record-batch';
import type { Cluster } from '../rpc/cluster';
import type { PartitionBatches } from './accumulator';
import type { ProducerBatch } from './batch';

const INT32_MAX = 0x7fffffff;
/**
 * Errors a broker answers only for a batch it did not append (checked before the append). After
 * any other failure the batch may be appended, perhaps committed.
 */
const NOT_APPENDED = new Set([
  'OUT_OF_ORDER_SEQUENCE',
  'INVALID_PRODUCER_EPOCH',
  'CORRUPT_MESSAGE',
  'INVALID_RECORD',
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'NOT_ENOUGH_REPLICAS',
]);
/** Deadline of InitProducerId when asked through metadata rather than a controller callback. */
const INIT_PRODUCER_ID_TIMEOUT_MS = 5000;

/** Calls the active controller (InitProducerId). */
export type ControllerCall = <T>(
  call: (client: ControllerServiceClient, deadline: Date) => Promise<T>,
) => Promise<T>;

export class Idempotence {
  #producerId = -1;
  #producerEpoch = -1;
  /** Bumped with every new producer id; a partition that has not seen it restarts at sequence 0. */
  #idGeneration = 0;
  #renewing: Promise<void> | undefined;

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
        const token = this.cluster.settings.token;
        const client = createClient('ControllerService', `${c.host}:${c.port}`, {
          credentials: this.cluster.credentials,
          ...(token ? { token } : {}),
        });
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
   * The batch's bytes: built once, when first sent, with the partition's next sequence numbers
   * (its records were encoded as they were appended), and stamped with new ones (a copy, its
   * records untouched) only if the partition was renumbered or the producer id changed since.
   */
  encode(pq: PartitionBatches, b: ProducerBatch): Buffer {
    this.#sync(pq);
    if (
      b.encoded !== undefined &&
      (!this.enabled || b.sequenceGeneration === pq.sequenceGeneration || b.maybeAppended)
    )
      return b.encoded;
    if (!this.enabled) return b.build({ compression: this.compression });
    b.baseSequence = pq.nextSequence;
    b.sequenceGeneration = pq.sequenceGeneration;
    pq.nextSequence = (pq.nextSequence + b.count) % (INT32_MAX + 1);
    if (b.encoded !== undefined) {
      b.encoded = withProducerState(b.encoded, this.#producerId, this.#producerEpoch, b.baseSequence);
      return b.encoded;
    }
    return b.build({
      compression: this.compression,
      producerId: this.#producerId,
      producerEpoch: this.#producerEpoch,
      baseSequence: b.baseSequence,
    });
  }

  /** Whether `err` on `b` may be retried: the table's flag, refined for sequence gaps. */
  retriable(pq: PartitionBatches, b: ProducerBatch, err: TributaryError): boolean {
    this.#sync(pq);
    // OUT_OF_ORDER_SEQUENCE proves no attempt was appended (an appended one would be a duplicate).
    if (err.errorName === 'OUT_OF_ORDER_SEQUENCE') b.maybeAppended = false;
    else if (!NOT_APPENDED.has(err.errorName)) b.maybeAppended = true;
    if (err.errorName !== 'OUT_OF_ORDER_SEQUENCE') return err.retriable;
    // A gap behind an earlier batch that failed and will be retried (or was renumbered).
    const stale = b.sequenceGeneration !== pq.sequenceGeneration;
    const earlierPending = pq.queue.indexOf(b) > 0;
    return stale || earlierPending;
  }

  /**
   * `b` failed for good. Not appended: renumber the partition's later batches from its sequence.
   * Possibly appended: take a new producer id (see the file header); `renewed` runs once it is in
   * place, and nothing may be encoded meanwhile (`renewing`).
   */
  failed(pq: PartitionBatches, b: ProducerBatch, renewed: () => void): void {
    this.#sync(pq);
    if (!this.enabled || b.baseSequence < 0 || b.sequenceGeneration !== pq.sequenceGeneration) return;
    if (!b.maybeAppended) {
      pq.nextSequence = b.baseSequence;
      pq.sequenceGeneration++;
      return;
    }
    this.#renewing ??= this.init().then(() => {
      this.#idGeneration++;
      this.#renewing = undefined;
      renewed();
    });
  }

  /** A new producer id is being taken: the sender waits. */
  get renewing(): boolean {
    return this.#renewing !== undefined;
  }

  /** A partition still numbering under an old producer id starts again at 0 under the new one. */
  #sync(pq: PartitionBatches): void {
    if (pq.idGeneration === this.#idGeneration) return;
    pq.idGeneration = this.#idGeneration;
    pq.nextSequence = 0;
    pq.sequenceGeneration++;
  }
}
