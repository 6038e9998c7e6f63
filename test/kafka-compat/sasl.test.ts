import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tributary } from '@tributary/client';
import { LocalCluster } from '@tributary/test-kit';
import { prefixGrants } from '../lib/prefix-grants';
import { kafkaTool, kcat, runToEnd } from './tools';

/**
 * Issue 20: kcat (librdkafka) and the Java client and tools authenticate to the Kafka listener
 * with SASL/PLAIN (username = principal, password = a Tributary token), and ACLs limit a
 * principal to its topic and group prefix exactly as over gRPC; no or bad credentials get
 * nowhere, and refused produces write nothing.
 */
jest.setTimeout(300_000);

const TOPICS = 'org.apache.kafka.tools.TopicCommand';
const CONSOLE_PRODUCER = 'org.apache.kafka.tools.ConsoleProducer';
const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';

describe('kcat and the Java client with SASL/PLAIN and ACLs', () => {
  let cluster: LocalCluster;
  let admin: Tributary;
  let alice: string;
  let dir: string;
  const bootstrap = () => cluster.kafkaBootstrap.join(',');
  const kcatSasl = (username: string, password: string) => [
    '-b',
    bootstrap(),
    '-X',
    'security.protocol=SASL_PLAINTEXT',
    '-X',
    'sasl.mechanisms=PLAIN',
    '-X',
    `sasl.username=${username}`,
    '-X',
    `sasl.password=${password}`,
  ];
  /** A Java client properties file for SASL/PLAIN as `username` with `password`. */
  const javaConfig = (name: string, username: string, password: string) => {
    const file = join(dir, `${name}.properties`);
    writeFileSync(
      file,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=PLAIN',
        `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${username}" password="${password}";`,
        'request.timeout.ms=10000',
        'default.api.timeout.ms=20000',
        'max.block.ms=15000',
        '',
      ].join('\n'),
    );
    return file;
  };
  const offsetsOf = async (topic: string) =>
    (await admin.admin().fetchTopicOffsets(topic)).map((o) => o.latest);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-sasl-'));
    cluster = await LocalCluster.start({
      brokers: 1,
      kafka: true,
      auth: { mode: 'authorize', superUsers: ['User:admin'] },
    });
    admin = new Tributary({ bootstrap: cluster.bootstrap, token: await cluster.token('User:admin') });
    alice = await cluster.token('User:alice');
    await admin.admin().createTopics([
      { name: 'alice-events', numPartitions: 1, replicationFactor: 1 },
      { name: 'bob-events', numPartitions: 1, replicationFactor: 1 },
    ]);
    await admin.admin().createAcls(prefixGrants('User:alice', 'alice-', ['read', 'write']));
  });

  afterAll(async () => {
    await admin?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kcat: sees, produces to and consumes only alice’s topics; a wrong password or no SASL is refused', async () => {
    const meta = JSON.parse((await runToEnd(kcat([...kcatSasl('alice', alice), '-L', '-J']))).join(''));
    expect(meta.topics.map((t: { topic: string }) => t.topic)).toEqual(['alice-events']);

    await runToEnd(kcat([...kcatSasl('alice', alice), '-P', '-t', 'alice-events', '-p', '0'], 'a1\na2\n'));
    const refused = kcat([...kcatSasl('alice', alice), '-P', '-t', 'bob-events', '-p', '0'], 'b1\n');
    expect(await refused.exited).not.toBe(0);
    expect(refused.stderr.join('\n')).toMatch(/Topic authorization failed/i);
    expect(await offsetsOf('bob-events')).toEqual([0]);

    const consumed = await runToEnd(
      kcat([
        ...kcatSasl('alice', alice),
        '-C',
        '-t',
        'alice-events',
        '-p',
        '0',
        '-o',
        'beginning',
        '-c',
        '2',
        '-e',
      ]),
    );
    expect(consumed).toEqual(['a1', 'a2']);

    const wrong = kcat([...kcatSasl('alice', 'not-a-token'), '-L', '-m', '5']);
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.stderr.join('\n')).toMatch(/SASL authentication error: PLAIN: the token is not valid/);
    const anonymous = kcat(['-b', bootstrap(), '-L', '-m', '5']);
    expect(await anonymous.exited).not.toBe(0);
  });

  it('the Java client and tools: lists, produces and consumes in alice’s prefix; another topic or group is refused', async () => {
    const config = javaConfig('alice', 'alice', alice);
    const listed = await runToEnd(
      kafkaTool(TOPICS, ['--bootstrap-server', bootstrap(), '--command-config', config, '--list']),
    );
    expect(listed.filter((l) => l.trim() !== '')).toEqual(['alice-events']);

    const before = await offsetsOf('alice-events');
    await runToEnd(
      kafkaTool(
        CONSOLE_PRODUCER,
        ['--bootstrap-server', bootstrap(), '--producer.config', config, '--topic', 'alice-events'],
        'j1\nj2\n',
      ),
    );
    expect(await offsetsOf('alice-events')).toEqual([before[0]! + 2]);

    const refused = kafkaTool(
      CONSOLE_PRODUCER,
      ['--bootstrap-server', bootstrap(), '--producer.config', config, '--topic', 'bob-events'],
      'nope\n',
    );
    await refused.exited;
    expect(refused.stderr.join('\n')).toMatch(/TopicAuthorizationException|Not authorized to access topics/);
    expect(await offsetsOf('bob-events')).toEqual([0]);

    const consumer = (groupId: string) =>
      kafkaTool(CONSOLE_CONSUMER, [
        '--bootstrap-server',
        bootstrap(),
        '--consumer.config',
        config,
        '--topic',
        'alice-events',
        '--group',
        groupId,
        '--from-beginning',
        '--max-messages',
        '2',
        '--timeout-ms',
        '60000',
      ]);
    const consumed = await runToEnd(consumer('alice-java'));
    expect(consumed.filter((l) => /^[aj]\d$/.test(l))).toHaveLength(2);
    const otherGroup = consumer('bob-java');
    await otherGroup.exited;
    expect(otherGroup.stderr.join('\n')).toMatch(
      /GroupAuthorizationException|Not authorized to access group/,
    );

    const badConfig = javaConfig('bad', 'alice', 'not-a-token');
    const bad = kafkaTool(TOPICS, [
      '--bootstrap-server',
      bootstrap(),
      '--command-config',
      badConfig,
      '--list',
    ]);
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/SaslAuthenticationException|Authentication failed/);
  });
});
