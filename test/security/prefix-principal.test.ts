import { type Tributary as Client, TributaryError } from '@tributary/client';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { tributary } from '../lib/run-cli';

// The client package's entry point, as an application imports it.
const { Tributary } = require('@tributary/client') as typeof import('@tributary/client');

/**
 * Issue 20: a principal limited to one topic prefix can produce, consume and describe exactly
 * those topics and nothing else (Metadata hides the rest), with its ACLs and tokens managed
 * through the `tributary` CLI as an operator would: `auth token create`, `acls add|list|remove`,
 * and one-line refusals.
 */
jest.setTimeout(120_000);

describe('a principal limited to one topic prefix', () => {
  let cluster: LocalCluster;
  let admin: string;
  let alice: string;
  let client: Client;
  let b: string[];

  const cli = (args: string[], token?: string, stdin = '') =>
    tributary([...args, ...b, ...(token === undefined ? [] : ['--token', token])], stdin);

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 1,
      controllers: 1,
      coordinators: 1,
      auth: { mode: 'authorize', superUsers: ['User:admin'] },
    });
    b = ['--bootstrap', cluster.bootstrap.join(',')];
    const token = async (name: string) => {
      const made = await tributary([
        'auth',
        'token',
        'create',
        '--principal',
        name,
        '--ttl',
        '1h',
        '--key-file',
        cluster.tokenKeyFile!,
      ]);
      expect(made).toMatchObject({ code: 0, stderr: '' });
      return made.stdout.trim();
    };
    admin = await token('admin');
    alice = await token('alice');
    for (const topic of ['alice-orders', 'bob-payments'])
      expect(await cli(['topics', 'create', topic, '--partitions', '2'], admin)).toMatchObject({ code: 0 });
    expect(
      await cli(
        [
          'acls',
          'add',
          '--allow',
          'alice',
          '--operation',
          'read,write,create',
          '--topic',
          'alice-',
          '--prefixed',
        ],
        admin,
      ),
    ).toMatchObject({ code: 0 });
    expect(
      await cli(
        ['acls', 'add', '--allow', 'User:alice', '--operation', 'read', '--group', 'alice-', '--prefixed'],
        admin,
      ),
    ).toMatchObject({ code: 0 });
    client = new Tributary({ bootstrap: cluster.bootstrap, token: alice, retry: { timeoutMs: 10_000 } });
  });

  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('lists its ACLs through the CLI, and the CLI refuses without or beyond them in one line', async () => {
    const listed = await cli(['acls', 'list', '--principal', 'alice', '--json'], admin);
    expect(listed.code).toBe(0);
    expect(
      JSON.parse(listed.stdout)
        .map((a: { operation: string; resourceType: string }) => `${a.resourceType}:${a.operation}`)
        .sort(),
    ).toEqual(['group:read', 'topic:create', 'topic:read', 'topic:write']);

    const anonymous = await cli(['topics', 'list']);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr.trim().split('\n')).toHaveLength(1);
    expect(anonymous.stderr).toMatch(
      /AUTHENTICATION_FAILED: BrokerService\/Metadata: no bearer token or client certificate was sent\. .*--token/,
    );

    const beyond = await cli(['topics', 'delete', 'bob-payments'], alice);
    expect(beyond.code).toBe(1);
    expect(beyond.stderr.trim().split('\n')).toHaveLength(1);
    expect(beyond.stderr).toMatch(
      /TOPIC_AUTHORIZATION_FAILED: .*User:alice is not authorized to delete topic bob-payments/,
    );

    const notAdmin = await cli(['acls', 'list'], alice);
    expect(notAdmin.stderr).toMatch(/CLUSTER_AUTHORIZATION_FAILED/);
  });

  it('sees, creates, produces to and consumes exactly its own topics', async () => {
    const adminClient = client.admin();
    // Metadata hides what alice may not describe.
    expect(await adminClient.listTopics()).toEqual(['alice-orders']);
    await adminClient.createTopics([{ name: 'alice-audit', numPartitions: 1, replicationFactor: 1 }]);
    await expect(
      adminClient.createTopics([{ name: 'bob-audit', numPartitions: 1, replicationFactor: 1 }]),
    ).rejects.toMatchObject({ errorName: 'TOPIC_AUTHORIZATION_FAILED' });
    await waitFor(async () => (await adminClient.listTopics()).length === 2, {
      timeoutMs: 10_000,
      description: 'alice-audit to appear in metadata',
    });
    expect(await adminClient.listTopics()).toEqual(['alice-audit', 'alice-orders']);

    const producer = client.producer({ lingerMs: 1 });
    await producer.send({ topic: 'alice-orders', messages: [{ key: 'k', value: 'hello' }] });
    const refused = await producer.send({ topic: 'bob-payments', messages: [{ value: 'sneaky' }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(TributaryError);
    expect((refused as TributaryError).errorName).toBe('TOPIC_AUTHORIZATION_FAILED');
    await producer.disconnect();

    const consumer = client.consumer({ groupId: 'alice-readers', sessionTimeoutMs: 6000 });
    const seen: string[] = [];
    await consumer.subscribe({ topics: ['alice-orders'], fromBeginning: true });
    const running = consumer.run({
      eachMessage: async ({ message }) => void seen.push(String(message.value)),
    });
    await waitFor(() => seen.length === 1, { timeoutMs: 30_000, description: 'alice to read her record' });
    expect(seen).toEqual(['hello']);
    await consumer.disconnect();
    await running;

    // bob-payments holds nothing alice wrote; a group outside her prefix is refused.
    const superUser = new Tributary({ bootstrap: cluster.bootstrap, token: admin });
    const offsets = await superUser.admin().fetchTopicOffsets('bob-payments');
    await superUser.close();
    expect(offsets.map((o) => o.latest)).toEqual([0, 0]);
    const bobGroup = client.consumer({ groupId: 'bob-readers', sessionTimeoutMs: 6000 });
    const failed = await (async () => {
      await bobGroup.subscribe({ topics: ['alice-orders'] });
      await bobGroup.run({ eachMessage: async () => undefined });
    })().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failed as TributaryError | undefined)?.errorName).toBe('GROUP_AUTHORIZATION_FAILED');
    await bobGroup.disconnect().catch(() => undefined);
  });

  it('loses everything once its ACLs are removed', async () => {
    const removed = await cli(['acls', 'remove', '--principal', 'alice'], admin);
    expect(removed.code).toBe(0);
    expect(removed.stdout.trim().split('\n')).toHaveLength(4);
    await waitFor(async () => (await client.admin().listTopics()).length === 0, {
      timeoutMs: 10_000,
      description: 'alice to see no topic',
    });
  });
});
