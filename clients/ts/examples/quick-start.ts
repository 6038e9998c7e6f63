/**
 * The quick start of docs/client.md: create a topic, produce keyed JSON records, consume them in a
 * group, commit. Run against `npm run dev`: `npx tsx clients/ts/examples/quick-start.ts`.
 */
import { type ConsumerMessage, jsonSerde, stringSerde, Tributary, TributaryError } from '@tributary/client';

interface Order {
  id: number;
  customer: string;
  total: number;
}

const orders = jsonSerde<Order>();

export async function quickStart(): Promise<void> {
  const tributary = new Tributary({ bootstrap: ['127.0.0.1:9092'], clientId: 'quick-start' });
  try {
    try {
      await tributary.admin().createTopics([{ name: 'orders', numPartitions: 3, replicationFactor: 1 }]);
    } catch (err) {
      if (!(err instanceof TributaryError && err.errorName === 'TOPIC_ALREADY_EXISTS')) throw err;
    }

    const producer = tributary.producer({ lingerMs: 5 });
    const metadata = await producer.send({
      topic: 'orders',
      messages: [1, 2, 3].map((id) => ({
        key: `customer-${id % 2}`,
        value: orders.serialize({ id, customer: `customer-${id % 2}`, total: id * 10 }, 'orders'),
        headers: [{ key: 'source', value: 'quick-start' }],
      })),
    });
    for (const m of metadata) console.log(`wrote ${m.topic}-${m.partition}@${m.offset}`);
    await producer.disconnect();

    const consumer = tributary.consumer<string, Order>({
      groupId: 'billing',
      keyDeserializer: stringSerde.deserialize,
      valueDeserializer: orders.deserialize,
    });
    consumer.onRebalance({
      onPartitionsAssigned: (partitions) => console.log('assigned', partitions),
      onPartitionsRevoked: (partitions) => console.log('revoked', partitions),
    });
    await consumer.subscribe({ topics: ['orders'], fromBeginning: true });
    let seen = 0;
    for await (const message of consumer) {
      const m: ConsumerMessage<string, Order> = message;
      console.log(m.key, m.value?.total, m.offset);
      if (++seen === 3) break;
    }
    await consumer.commit();
    await consumer.disconnect();
  } finally {
    await tributary.close();
  }
}
