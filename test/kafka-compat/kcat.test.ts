import { waitFor } from '@tributary/test-kit';
import { readOverGrpc } from './grpc-read';
import { unique, useKafkaCompatCluster } from './kafka-cluster';
import { kcat, runToEnd } from './tools';

/** Issue 21: kcat (librdkafka, from Debian) against the Kafka listeners: metadata, produce, consume, a group. */
jest.setTimeout(180_000);

describe('kcat against the Kafka listener', () => {
  const cluster = useKafkaCompatCluster();
  const bootstrap = () => cluster().kafkaBootstrap.join(',');

  it('metadata lists every broker and the topic’s partitions with leaders', async () => {
    const topic = unique('kcat-meta');
    await cluster().createTopic(topic, 3, 2);
    await waitFor(
      async () => {
        const meta = JSON.parse(
          (await runToEnd(kcat(['-b', bootstrap(), '-L', '-J', '-t', topic]))).join(''),
        );
        return meta.topics[0]?.partitions.every((p: { leader: number }) => p.leader >= 0) ? meta : undefined;
      },
      { timeoutMs: 30_000 },
    ).then((meta) => {
      expect(meta.brokers.map((b: { name: string }) => b.name).sort()).toEqual(
        [...cluster().kafkaBootstrap].sort(),
      );
      expect(meta.topics[0].partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    });
  });

  it('produces keyed records with headers that gRPC reads back, and consumes records produced over gRPC', async () => {
    const topic = unique('kcat-pc');
    await cluster().createTopic(topic, 1, 1);
    await runToEnd(
      kcat(['-b', bootstrap(), '-P', '-t', topic, '-p', '0', '-K:', '-H', 'origin=kcat'], 'k1:v1\nk2:v2\n'),
    );
    const read = await readOverGrpc(cluster().tributary, topic, 0, 2);
    expect(read.map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.headers[0]?.key])).toEqual([
      [0, 'k1', 'v1', 'origin'],
      [1, 'k2', 'v2', 'origin'],
    ]);

    const producer = cluster().tributary.producer({ lingerMs: 1 });
    await producer.send({
      topic,
      messages: [{ key: 'k3', value: 'v3', partition: 0, timestamp: 1_700_000_000_123 }],
    });
    await producer.flush();
    await producer.disconnect();
    const lines = await runToEnd(
      kcat([
        '-b',
        bootstrap(),
        '-C',
        '-t',
        topic,
        '-p',
        '0',
        '-o',
        'beginning',
        '-e',
        '-q',
        '-f',
        '%o %k %s %T\\n',
      ]),
    );
    expect(lines.filter((l) => l !== '')).toEqual([
      `0 k1 v1 ${read[0]!.timestamp}`,
      `1 k2 v2 ${read[1]!.timestamp}`,
      '2 k3 v3 1700000000123',
    ]);
  });

  it('consumes in a consumer group (balanced consumer) and commits offsets the group shows', async () => {
    const topic = unique('kcat-group');
    const groupId = unique('kcat-group');
    await cluster().createTopic(topic, 2, 1);
    await runToEnd(kcat(['-b', bootstrap(), '-P', '-t', topic, '-p', '0'], 'a\nb\n'));
    await runToEnd(kcat(['-b', bootstrap(), '-P', '-t', topic, '-p', '1'], 'c\n'));
    const consumer = kcat([
      '-u', // unbuffered: lines arrive as records do
      '-b',
      bootstrap(),
      '-G',
      groupId,
      '-o',
      'beginning',
      '-f',
      '%p %o %s\\n',
      '-X',
      'auto.commit.interval.ms=100',
      topic,
    ]);
    try {
      await waitFor(() => consumer.lines.filter((l) => l !== '').length >= 3, { timeoutMs: 60_000 });
      expect(consumer.lines.filter((l) => l !== '').sort()).toEqual(['0 0 a', '0 1 b', '1 0 c']);
      await waitFor(
        async () => {
          const [g] = await cluster().tributary.admin().describeGroups([groupId]);
          const committed = new Map(g?.partitions.map((p) => [p.partition, p.committedOffset]));
          return committed.get(0) === 2 && committed.get(1) === 1;
        },
        { timeoutMs: 30_000 },
      );
    } finally {
      await consumer.stop();
    }
  });
});
