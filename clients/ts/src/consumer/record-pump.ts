/**
 * The pump: moves fetched batches from the record source into the partitions' queues (a batch
 * for a partition no longer read, paused, or fetched for an old position is given back), and
 * handles the partition errors the source reports: OFFSET_OUT_OF_RANGE resets per
 * autoOffsetReset, other retriable errors re-read from the position, the rest fail the consumer.
 * A batch is decoded when its records are taken (`takeRecords`), so a damaged one is reported
 * there and handled the same way (CORRUPT_MESSAGE is retriable: read again from the position).
 */
import { TributaryError } from '@tributary/errors';
import type { DecodedRecord } from '@tributary/record-batch';
import type { ConsumerCore } from './consumer-core';
import type { PartitionQueue } from './partition-queue';
import type { SourcePartitionError } from './record-source';

/** Runs until the source closes or the consumer stops. */
export async function pumpRecords<K, V>(core: ConsumerCore<K, V>): Promise<void> {
  const source = core.source!;
  try {
    while (!core.closed) {
      const got = await source.next();
      if (got === undefined) break;
      for (const b of got.batches) {
        const q = core.partitions.get(b.topic, b.partition);
        if (q === undefined || q.paused || !q.accept(b)) source.release(b);
        else core.partitions.ready(q);
      }
      for (const e of got.errors) onSourceError(core, e);
      core.partitions.wake();
    }
  } catch (err) {
    core.fail(
      err instanceof TributaryError
        ? err
        : new TributaryError('UNKNOWN_SERVER_ERROR', String(err), { cause: err }),
    );
  }
}

/**
 * Takes up to `max` records of `q` for the application, whole batches after the first while
 * fewer than `fill` are out (PartitionQueue.take); [] when its head batch does not decode.
 */
export function takeRecords<K, V>(
  core: ConsumerCore<K, V>,
  q: PartitionQueue,
  max: number,
  fill = 0,
): DecodedRecord[] {
  try {
    return q.take(max, core.release, fill);
  } catch (err) {
    if (!(err instanceof TributaryError)) throw err;
    const { topic, partition, highWatermark } = q;
    onSourceError(core, { topic, partition, error: err, logStartOffset: -1, highWatermark });
    return [];
  }
}

function onSourceError<K, V>(core: ConsumerCore<K, V>, e: SourcePartitionError): void {
  const q = core.partitions.get(e.topic, e.partition);
  if (q === undefined) return;
  if (e.error.errorName === 'OFFSET_OUT_OF_RANGE' && core.autoOffsetReset !== 'none') {
    const offset = core.autoOffsetReset === 'earliest' ? e.logStartOffset : e.highWatermark;
    if (offset >= 0) {
      core.reposition(q, offset);
      return;
    }
  }
  if (!e.error.retriable) {
    core.fail(e.error);
    return;
  }
  core.reposition(q, q.position);
}
