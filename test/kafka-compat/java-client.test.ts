import { waitFor } from '@tributary/test-kit';
import { readOverGrpc } from './grpc-read';
import { unique, useKafkaCompatCluster } from './kafka-cluster';
import { javaProgram, kafkaTool, type RunningTool, runToEnd } from './tools';

/**
 * Issue 21: the Apache Kafka Java client and Kafka's own command-line tools (Maven Central,
 * pinned in test/kafka-compat/java/pom.xml), unchanged, against the Kafka listeners.
 */
jest.setTimeout(300_000);

const TOPICS = 'org.apache.kafka.tools.TopicCommand';
const CONSOLE_PRODUCER = 'org.apache.kafka.tools.ConsoleProducer';
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
const CONSUMER_GROUPS = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';

describe('the Kafka Java client and tools against the Kafka listener', () => {
  const cluster = useKafkaCompatCluster();
  const bootstrap = () => cluster().kafkaBootstrap.join(',');

  it('kafka-topics creates, lists and describes a topic', async () => {
    const topic = unique('jt-topics');
    const created = await runToEnd(
      kafkaTool(TOPICS, [
        '--bootstrap-server',
        bootstrap(),
        '--create',
        '--topic',
        topic,
        '--partitions',
        '3',
        '--replication-factor',
        '2',
      ]),
    );
    expect(created.join('\n')).toContain(`Created topic ${topic}.`);
    const listed = await runToEnd(kafkaTool(TOPICS, ['--bootstrap-server', bootstrap(), '--list']));
    expect(listed).toContain(topic);
    const described = await waitFor(
      async () => {
        const out = await runToEnd(
          kafkaTool(TOPICS, ['--bootstrap-server', bootstrap(), '--describe', '--topic', topic]),
        );
        return out.filter((l) => /Partition: \d+\tLeader: \d+/.test(l)).length === 3 ? out : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(described[0]).toMatch(
      new RegExp(`Topic: ${topic}\\s+TopicId: \\S+\\s+PartitionCount: 3\\s+ReplicationFactor: 2`),
    );
  });

  it('an idempotent producer with acks=all writes what gRPC reads: offsets, keys, headers, timestamps', async () => {
    const topic = unique('jt-idem');
    await cluster().createTopic(topic, 2, 3);
    const base = 1_750_000_000_000;
    const out = await runToEnd(
      javaProgram('IdempotentProducer', [bootstrap(), topic, '1', '40', String(base)]),
    );
    expect(out.filter((l) => l.startsWith('OFFSET '))).toEqual(
      Array.from({ length: 40 }, (_, i) => `OFFSET ${i} ${i}`),
    );
    const records = await readOverGrpc(cluster().tributary, topic, 1, 40);
    records.forEach((r, i) => {
      expect([r.offset, r.key?.toString(), r.value?.toString(), r.timestamp]).toEqual([
        i,
        `k-${i}`,
        `v-${i}`,
        base + i,
      ]);
      expect(r.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', `x-${i}`]]);
    });
  });

  it('console producer and consumer round-trip; kafka-consumer-groups --describe shows offsets and lag', async () => {
    const topic = unique('jt-console');
    const groupId = unique('jt-console');
    await cluster().createTopic(topic, 1, 1);
    await runToEnd(
      kafkaTool(CONSOLE_PRODUCER, ['--bootstrap-server', bootstrap(), '--topic', topic], 'one\ntwo\nthree\n'),
    );
    const consumed = await runToEnd(
      kafkaTool(CONSOLE_CONSUMER, [
        '--bootstrap-server',
        bootstrap(),
        '--topic',
        topic,
        '--group',
        groupId,
        '--from-beginning',
        '--max-messages',
        '2',
      ]),
    );
    expect(consumed.filter((l) => ['one', 'two', 'three'].includes(l))).toEqual(['one', 'two']);
    const described = await waitFor(
      async () => {
        const out = await runToEnd(
          kafkaTool(CONSUMER_GROUPS, ['--bootstrap-server', bootstrap(), '--describe', '--group', groupId]),
        );
        return out.find((l) => l.startsWith(groupId));
      },
      { timeoutMs: 60_000 },
    );
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    expect(described.split(/\s+/).slice(0, 6)).toEqual([groupId, topic, '0', '2', '3', '1']);
    const [g] = await cluster().tributary.admin().describeGroups([groupId]);
    expect(g?.partitions.find((p) => p.partition === 0)).toMatchObject({ committedOffset: 2, lag: 1 });
  });

  it('a group of three Java consumers shares the partitions and rebalances when one leaves', async () => {
    const topic = unique('jt-group');
    const groupId = unique('jt-group');
    await cluster().createTopic(topic, 3, 1);
    const consumers: RunningTool[] = [0, 1, 2].map(() =>
      javaProgram('GroupConsumer', [bootstrap(), topic, groupId]),
    );
    const owned = (t: RunningTool) =>
      t.lines
        .filter((l) => l.startsWith('ASSIGNED'))
        .at(-1)
        ?.slice('ASSIGNED'.length)
        .trim()
        .split(',')
        .filter((p) => p !== '') ?? [];
    try {
      await waitFor(() => consumers.every((t) => owned(t).length === 1), { timeoutMs: 120_000 });
      expect(consumers.flatMap(owned).sort()).toEqual(['0', '1', '2']);
      await consumers[2]!.stop();
      await waitFor(() => owned(consumers[0]!).length + owned(consumers[1]!).length === 3, {
        timeoutMs: 60_000,
      });
      expect([...owned(consumers[0]!), ...owned(consumers[1]!)].sort()).toEqual(['0', '1', '2']);
    } finally {
      await Promise.all(consumers.map((t) => t.stop()));
    }
  });
});
