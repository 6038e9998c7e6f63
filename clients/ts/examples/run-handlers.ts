/** `run()` with handlers, manual commits, seek and pause, and the admin's group lag. */
import { type EachBatchPayload, Tributary } from '@tributary/client';

export async function processWithHandlers(): Promise<number> {
  const tributary = new Tributary({ bootstrap: ['127.0.0.1:9092'] });
  const consumer = tributary.consumer({ groupId: 'audit', autoCommit: false, maxPrefetchBytes: 8 << 20 });
  await consumer.subscribe({ topics: ['orders'] });

  const handler = async ({ batch, resolveOffset, commit }: EachBatchPayload<Buffer, Buffer>) => {
    for (const message of batch.messages) {
      if (message.value === null) continue; // a tombstone
      resolveOffset(message.offset);
    }
    await commit();
    if (batch.highWatermark - (batch.messages.at(-1)?.offset ?? 0) > 10_000) {
      consumer.pause([{ topic: batch.topic, partition: batch.partition }]);
      setTimeout(() => consumer.resume([{ topic: batch.topic, partition: batch.partition }]), 1000);
    }
  };
  const running = consumer.run({ eachBatch: handler, partitionsConsumedConcurrently: 3 });

  for (const tp of consumer.assignment()) consumer.seek({ ...tp, offset: 0 });
  const [group] = await tributary.admin().describeGroups(['audit']);
  await consumer.disconnect();
  await running;
  await tributary.close();
  return group?.totalLag ?? -1;
}
