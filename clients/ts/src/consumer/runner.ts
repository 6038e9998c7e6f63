/**
 * `consumer.run({ eachMessage | eachBatch })`: up to `partitionsConsumedConcurrently` workers,
 * each claiming the next partition with records ready, so records of one partition are always
 * handled in order and never by two handlers at once. A handler that throws leaves its
 * partition at the first unconsumed record, redelivered next (at least once).
 */
import { processBatch, processMessage, recordPoll } from '../telemetry/process-tracing';
import type { ConsumerCore } from './consumer-core';
import type { PartitionQueue } from './partition-queue';
import { takeRecords } from './record-pump';
import type { ConsumerBatch, RunOptions, TopicPartition } from './types';

/**
 * A handler call gets the partition's fetched batches that follow its first until this many
 * records (Kafka's `max.poll.records` default): with one-record batches (keyed data over
 * thousands of partitions) a call per batch cost more than the records' decoding.
 */
const HANDLER_FILL_RECORDS = 500;

/** What the runner calls back into the consumer for. */
export interface RunnerHooks {
  commit(): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
}

/** Drives handlers until the consumer stops; rejects with the consumer's failure. */
export async function runHandlers<K, V>(
  core: ConsumerCore<K, V>,
  options: RunOptions<K, V>,
  hooks: RunnerHooks,
): Promise<void> {
  const workers = Math.max(1, options.partitionsConsumedConcurrently ?? 1);
  await Promise.all(Array.from({ length: workers }, () => worker(core, options, hooks)));
}

async function worker<K, V>(core: ConsumerCore<K, V>, options: RunOptions<K, V>, hooks: RunnerHooks) {
  for (;;) {
    const q = await core.partitions.nextReady(true, core.stopped);
    if (q === undefined) return;
    const work = handle(core, q, options, hooks);
    core.inFlight.set(q.key, work);
    try {
      await work;
    } finally {
      q.busy = false;
      core.inFlight.delete(q.key);
      core.partitions.wake();
    }
  }
}

async function handle<K, V>(
  core: ConsumerCore<K, V>,
  q: PartitionQueue,
  options: RunOptions<K, V>,
  hooks: RunnerHooks,
): Promise<void> {
  const startPosition = q.position;
  const records = takeRecords(core, q, Number.MAX_SAFE_INTEGER, HANDLER_FILL_RECORDS);
  if (records.length === 0) return;
  core.session?.pollProgress();
  const messages = records.map((r) => core.toMessage(q, r));
  const groupId = core.options.groupId;
  recordPoll(q.topic, q.partition, groupId, messages.length);
  try {
    if (options.eachBatch !== undefined) {
      let resolved = q.consumed;
      const batch: ConsumerBatch<K, V> = {
        topic: q.topic,
        partition: q.partition,
        messages,
        highWatermark: q.highWatermark,
      };
      await processBatch(q.topic, q.partition, groupId, messages, () =>
        options.eachBatch!({
          batch,
          resolveOffset: (offset) => {
            resolved = Math.max(resolved, offset + 1);
            if (core.partitions.current(q)) q.consumed = resolved;
          },
          commit: () => hooks.commit(),
        }),
      );
      if (core.partitions.current(q) && q.position !== startPosition)
        q.consumed = Math.max(q.consumed, messages[messages.length - 1]!.offset + 1);
      return;
    }
    for (const message of messages) {
      if (!core.partitions.current(q) || q.paused || core.closed) break;
      if ((message.offset & 0xff) === 0) await core.partitions.yieldToEventLoop();
      const seeks = q.seeks;
      let pausedHere = false;
      await processMessage(message, groupId, () =>
        options.eachMessage!({
          message,
          pause: () => {
            pausedHere = true;
          },
        }),
      );
      // A seek inside the handler moved the position: deliver from there, not from this batch.
      if (q.seeks !== seeks) break;
      q.consumed = message.offset + 1;
      if (pausedHere) {
        hooks.pause([{ topic: q.topic, partition: q.partition }]);
        break;
      }
    }
  } catch (err) {
    // Redeliver from the first unconsumed record, after the handler failed.
    if (core.partitions.current(q)) core.reposition(q, q.consumed);
    throw err;
  }
}
