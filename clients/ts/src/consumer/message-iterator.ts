/**
 * `for await (const m of consumer)`: yields records as they arrive and waits for more (it never
 * ends on its own; `disconnect()` ends it). A record counts as consumed when the loop asks for
 * the next one, so an exception in the loop body leaves it uncommitted (at least once).
 */
import type { ConsumerCore } from './consumer-core';
import type { PartitionQueue } from './partition-queue';
import { takeRecords } from './record-pump';
import type { ConsumerMessage } from './types';

export async function* iterateMessages<K, V>(
  core: ConsumerCore<K, V>,
): AsyncGenerator<ConsumerMessage<K, V>> {
  let last: { q: PartitionQueue; offset: number } | undefined;
  try {
    for (;;) {
      if (last !== undefined && core.partitions.current(last.q))
        last.q.consumed = Math.max(last.q.consumed, last.offset + 1);
      last = undefined;
      const q = await core.partitions.nextReady(false, core.stopped);
      if (q === undefined) return;
      const [record] = takeRecords(core, q, 1);
      if (record === undefined) continue;
      core.session?.pollProgress();
      last = { q, offset: record.offset };
      yield core.toMessage(q, record);
    }
  } finally {
    // Leaving the loop with `break` consumes the last record too.
    if (last !== undefined && core.partitions.current(last.q))
      last.q.consumed = Math.max(last.q.consumed, last.offset + 1);
  }
}
