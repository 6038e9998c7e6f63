import { Kafka, logLevel } from 'kafkajs';
import { readOverGrpc } from './grpc-read';
import { type KafkaCompatCluster, startKafkaCompatCluster, unique } from './kafka-cluster';

/**
 * Issue 21: kafkajs (unchanged, from npm) against the brokers' Kafka listeners. Records a Kafka
 * producer writes are read over gRPC with the same offsets, keys, headers and timestamps.
 */
jest.setTimeout(120_000);

describe('kafkajs against the Kafka listener', () => {
  let c: KafkaCompatCluster;
  let kafka: Kafka;

  beforeAll(async () => {
    c = await startKafkaCompatCluster();
    kafka = new Kafka({ clientId: 'kafkajs-compat', brokers: c.kafkaBootstrap, logLevel: logLevel.NOTHING });
  });

  afterAll(async () => {
    await c?.stop();
  });

  it('idempotent producer with acks=all: offsets, keys, headers and timestamps as read over gRPC', async () => {
    const topic = unique('kjs-produce');
    await c.createTopic(topic, 3, 3);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const base = Date.UTC(2026, 0, 1);
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: `key-${i}`,
      value: `value-${i}`,
      partition: 1,
      timestamp: String(base + i),
      headers: { trace: `t-${i}`, n: Buffer.from([i]) },
    }));
    const [first] = await producer.send({ topic, acks: -1, messages: messages.slice(0, 25) });
    const [second] = await producer.send({ topic, acks: -1, messages: messages.slice(25) });
    await producer.disconnect();
    expect(first).toMatchObject({ topicName: topic, partition: 1, errorCode: 0, baseOffset: '0' });
    expect(second).toMatchObject({ partition: 1, baseOffset: '25' });

    const records = await readOverGrpc(c.tributary, topic, 1, 50);
    records.forEach((r, i) => {
      expect(r.offset).toBe(i);
      expect(r.key?.toString()).toBe(`key-${i}`);
      expect(r.value?.toString()).toBe(`value-${i}`);
      expect(r.timestamp).toBe(base + i);
      expect(r.headers.map((h) => [h.key, h.value?.toString('hex')])).toEqual([
        ['trace', Buffer.from(`t-${i}`).toString('hex')],
        ['n', Buffer.from([i]).toString('hex')],
      ]);
    });
  });

  it('admin: metadata names every broker and partition leader; ListOffsets gives earliest and latest', async () => {
    const topic = unique('kjs-admin');
    await c.createTopic(topic, 2, 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { value: 'a', partition: 0 },
        { value: 'b', partition: 0 },
      ],
    });
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.find((o) => o.partition === 0)).toMatchObject({ low: '0', high: '2' });
    expect(offsets.find((o) => o.partition === 1)).toMatchObject({ low: '0', high: '0' });
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...c.kafkaBootstrap].sort());
    await admin.disconnect();
  });
});
