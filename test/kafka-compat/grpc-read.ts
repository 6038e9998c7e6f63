/** Reads a partition over Tributary's own gRPC client, for comparing with what Kafka clients see. */
import type { ConsumerMessage, Tributary } from '@tributary/client';
import { waitFor } from '@tributary/test-kit';

/** The first `count` records of `topic`/`partition` from offset 0, read over gRPC. */
export async function readOverGrpc(
  tributary: Tributary,
  topic: string,
  partition: number,
  count: number,
): Promise<ConsumerMessage[]> {
  const consumer = tributary.consumer({});
  const seen: ConsumerMessage[] = [];
  await consumer.assign([{ topic, partition, offset: 0 }]);
  const running = consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(message);
    },
  });
  try {
    await waitFor(() => seen.length >= count, { timeoutMs: 30_000 });
  } finally {
    await consumer.disconnect();
    await running.catch(() => undefined);
  }
  return seen.slice(0, count);
}
