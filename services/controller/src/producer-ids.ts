/**
 * Producer ids for idempotent producers (InitProducerId).
 *
 * Ids are handed out from blocks of `blockSize` reserved in etcd: `producer-ids/next-block` holds
 * the first id of the next free block, and a controller takes a block with a txn that compares the
 * key's mod revision (and the controller epoch), so two controllers can never take the same block.
 * Ids of a block a controller did not finish are skipped, never reused (as in Kafka, KIP-730).
 *
 * A transactional id keeps its producer id across instances: `producer-ids/transactional/<id>`
 * holds {producerId, producerEpoch}, and each InitProducerId bumps the epoch (guarded by the key's
 * mod revision), so batches of an older instance fail with INVALID_PRODUCER_EPOCH on the broker.
 * At the 16-bit epoch limit the id is replaced by a fresh one at epoch 0.
 */
import { TributaryError } from '@tributary/errors';
import {
  isProducerIdBlock,
  isTransactionalProducer,
  keys,
  type ProducerIdBlock,
  parseRecord,
  serializeRecord,
  type TransactionalProducer,
} from '@tributary/registry';
import type { MetadataWriter } from './metadata-writer';
import { SerialQueue } from './serial-queue';

/** Largest producer epoch: it is an int16 in a RecordBatch. */
export const MAX_PRODUCER_EPOCH = 32767;
const RETRIES = 10;

export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export class ProducerIds {
  private block: { next: number; end: number } | undefined;
  private readonly queue = new SerialQueue();

  constructor(
    private readonly writer: MetadataWriter,
    private readonly blockSize = 1000,
  ) {}

  /**
   * InitProducerId: a fresh id at epoch 0, the transactional id's id with its epoch bumped, or
   * (with `current`) the same id at epoch + 1.
   */
  init(
    transactionalId: string | undefined,
    current: ProducerIdAndEpoch | undefined,
  ): Promise<ProducerIdAndEpoch> {
    return this.queue.run(() =>
      transactionalId === undefined
        ? this.initIdempotent(current)
        : this.initTransactional(transactionalId, current),
    );
  }

  private async initIdempotent(current: ProducerIdAndEpoch | undefined): Promise<ProducerIdAndEpoch> {
    if (!current) return { producerId: await this.nextId(), producerEpoch: 0 };
    const kv = await this.writer.read(keys.producerIdBlockKey());
    const allocated = kv
      ? parseRecord(keys.producerIdBlockKey(), kv.value, isProducerIdBlock).nextBlockStart
      : 0;
    if (current.producerId >= allocated) {
      throw new TributaryError(
        'UNKNOWN_PRODUCER_ID',
        `Producer id ${current.producerId} was never allocated`,
      );
    }
    if (current.producerEpoch >= MAX_PRODUCER_EPOCH)
      return { producerId: await this.nextId(), producerEpoch: 0 };
    return { producerId: current.producerId, producerEpoch: current.producerEpoch + 1 };
  }

  private async initTransactional(
    transactionalId: string,
    current: ProducerIdAndEpoch | undefined,
  ): Promise<ProducerIdAndEpoch> {
    if (transactionalId.length === 0) {
      throw new TributaryError(
        'INVALID_REQUEST',
        'transactional_id must not be empty (leave it out for none)',
      );
    }
    const key = keys.transactionalProducerKey(transactionalId);
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const kv = await this.writer.read(key);
      const stored = kv ? parseRecord(key, kv.value, isTransactionalProducer) : undefined;
      if (
        current &&
        (stored?.producerId !== current.producerId || stored.producerEpoch !== current.producerEpoch)
      ) {
        throw new TributaryError(
          'INVALID_PRODUCER_EPOCH',
          stored
            ? `Transactional id ${transactionalId} is at producer id ${stored.producerId} epoch ${stored.producerEpoch}, not ${current.producerId} epoch ${current.producerEpoch}: a newer instance has fenced this one`
            : `Transactional id ${transactionalId} has no producer id yet`,
        );
      }
      const next: TransactionalProducer =
        stored && stored.producerEpoch < MAX_PRODUCER_EPOCH
          ? { version: 1, producerId: stored.producerId, producerEpoch: stored.producerEpoch + 1 }
          : { version: 1, producerId: await this.nextId(), producerEpoch: 0 };
      const result = await this.writer.commit(
        [{ key, target: 'Mod', revision: Number(kv?.mod_revision ?? 0) }],
        [{ kind: 'put', key, value: serializeRecord(next) }],
      );
      if (result.succeeded) return { producerId: next.producerId, producerEpoch: next.producerEpoch };
    }
    throw new TributaryError('REQUEST_TIMED_OUT', `Transactional id ${transactionalId} kept changing; retry`);
  }

  private async nextId(): Promise<number> {
    if (!this.block || this.block.next >= this.block.end) this.block = await this.takeBlock();
    return this.block.next++;
  }

  private async takeBlock(): Promise<{ next: number; end: number }> {
    const key = keys.producerIdBlockKey();
    for (let attempt = 0; attempt < RETRIES; attempt++) {
      const kv = await this.writer.read(key);
      const start = kv ? parseRecord(key, kv.value, isProducerIdBlock).nextBlockStart : 0;
      const next: ProducerIdBlock = { version: 1, nextBlockStart: start + this.blockSize };
      const result = await this.writer.commit(
        [{ key, target: 'Mod', revision: Number(kv?.mod_revision ?? 0) }],
        [{ kind: 'put', key, value: serializeRecord(next) }],
      );
      if (result.succeeded) return { next: start, end: start + this.blockSize };
    }
    throw new TributaryError('REQUEST_TIMED_OUT', 'Could not reserve a producer id block; retry');
  }
}
