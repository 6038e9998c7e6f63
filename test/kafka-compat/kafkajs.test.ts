import { waitFor } from '@tributary/test-kit';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { readOverGrpc } from './grpc-read';
import { type KafkaCompatCluster, startKafkaCompatCluster, unique } from './kafka-cluster';

/**
 * Issue 21: kafkajs (unchanged, from npm) against the brokers' Kafka listeners. Records a Kafka
 * producer writes are read over gRPC with the same offsets, keys, headers and timestamps.
 */
jest.setTimeout(120_000);

/** The brokers' produce and fetch counters for `topic`, summed over every broker's /metrics. */
async function brokerCounters(c: KafkaCompatCluster, topic: string) {
  const sums = { produceAcks1: 0, bytesIn: 0, kafkaFetches: 0, bytesOut: 0 };
  // Series carry the services' default labels too, in no fixed order: match name and one label.
  const series: [keyof typeof sums, string, string][] = [
    ['produceAcks1', 'tributary_broker_produce_requests_total', 'acks="1"'],
    ['bytesIn', 'tributary_broker_topic_bytes_in_total', `topic="${topic}"`],
    ['kafkaFetches', 'tributary_broker_fetch_responses_total', 'kind="kafka"'],
    ['bytesOut', 'tributary_broker_topic_bytes_out_total', `topic="${topic}"`],
  ];
  for (const broker of c.cluster.brokers) {
    const text = await (await fetch(broker.metricsUrl!)).text();
    for (const line of text.split('\n')) {
      const [, name, labels, value] = /^(\w+)\{(.*)\} (\S+)$/.exec(line) ?? [];
      for (const [key, metric, label] of series)
        if (name === metric && labels!.split(',').includes(label)) sums[key] += Number(value);
    }
  }
  return sums;
}

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

  it('what a Kafka client produces and fetches counts in the brokers’ produce and fetch metrics', async () => {
    const topic = unique('kjs-metrics');
    await c.createTopic(topic, 1, 1);
    const before = await brokerCounters(c, topic);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: 1, messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: unique('kjs-metrics-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await waitFor(() => seen === 2, { timeoutMs: 30_000 });
    await consumer.disconnect();
    const after = await brokerCounters(c, topic);
    expect(after.produceAcks1 - before.produceAcks1).toBeGreaterThanOrEqual(1);
    expect(after.bytesIn).toBeGreaterThan(before.bytesIn);
    expect(after.kafkaFetches).toBeGreaterThan(before.kafkaFetches);
    expect(after.bytesOut).toBeGreaterThan(before.bytesOut);
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

  it('a group of three consumes records produced over gRPC (same offsets, keys, headers, timestamps), rebalances when one leaves, and its commits show in describeGroups', async () => {
    const topic = unique('kjs-group');
    const groupId = unique('kjs-group');
    await c.createTopic(topic, 3, 1);
    const producer = c.tributary.producer({ lingerMs: 1 });
    const base = Date.UTC(2026, 5, 1);
    await producer.send({
      topic,
      messages: Array.from({ length: 60 }, (_, i) => ({
        key: `k-${i}`,
        value: `v-${i}`,
        partition: i % 3,
        timestamp: base + i,
        headers: [{ key: 'h', value: `x-${i}` }],
      })),
    });
    await producer.flush();
    await producer.disconnect();

    const seen = new Map<string, { key: string; value: string; ts: string; h: string; member: number }>();
    const consumers: Consumer[] = [];
    const assignments = new Map<number, number[]>();
    for (let i = 0; i < 3; i++) {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assignments.set(i, e.payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.set(`${partition}/${message.offset}`, {
            key: message.key!.toString(),
            value: message.value!.toString(),
            ts: message.timestamp,
            h: message.headers!['h']!.toString(),
            member: i,
          });
        },
      });
      consumers.push(consumer);
    }
    await waitFor(() => seen.size === 60, { timeoutMs: 60_000 });
    for (let i = 0; i < 60; i++) {
      expect(seen.get(`${i % 3}/${Math.floor(i / 3)}`)).toMatchObject({
        key: `k-${i}`,
        value: `v-${i}`,
        ts: String(base + i),
        h: `x-${i}`,
      });
    }
    // Three members share the three partitions once the group settles.
    await waitFor(() => assignments.size === 3 && [...assignments.values()].every((a) => a.length === 1), {
      timeoutMs: 60_000,
    });

    // One leaves: the other two take over its partition.
    await consumers[2]!.disconnect();
    await waitFor(() => (assignments.get(0)?.length ?? 0) + (assignments.get(1)?.length ?? 0) === 3, {
      timeoutMs: 60_000,
    });

    // Offsets committed by kafkajs are the group's offsets over gRPC.
    await waitFor(
      async () => {
        const [g] = await c.tributary.admin().describeGroups([groupId]);
        return g?.partitions.length === 3 && g.partitions.every((p) => p.committedOffset === 20);
      },
      { timeoutMs: 30_000 },
    );
    await consumers[0]!.disconnect();
    await consumers[1]!.disconnect();
  });
});
