import { randomBytes } from 'node:crypto';
import { createToken, readTokenKey } from '@tributary/auth';
import { Tributary } from '@tributary/client';
import type { EtcdConnection } from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { prefixGrants } from '../lib/prefix-grants';
import { etcdSnapshot, openEtcd } from './security-helpers';

/**
 * Issue 20 on the Kafka listener, with kafkajs as the client: SASL/PLAIN (the token as password)
 * and SASL/OAUTHBEARER (the token itself) authenticate; no or bad credentials get nowhere; a
 * principal limited to one topic and group prefix can do exactly that over Kafka's protocol, by
 * the same ACLs as over gRPC; refused requests write nothing.
 */
jest.setTimeout(180_000);

describe('the Kafka listener with SASL and ACLs', () => {
  let cluster: LocalCluster;
  let admin: Tributary;
  let etcd: EtcdConnection;
  let alice: string;

  const kafka = (sasl?: SASLOptions, extra: Partial<KafkaConfig> = {}) =>
    new Kafka({
      clientId: 'kafka-sasl',
      brokers: cluster.kafkaBootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      retry: { retries: 0 },
      ...(sasl ? { sasl } : {}),
      ...extra,
    });
  const plain = (username: string, password: string): SASLOptions => ({
    mechanism: 'plain',
    username,
    password,
  });
  const offsetsOf = async (topic: string) =>
    (await admin.admin().fetchTopicOffsets(topic)).map((o) => o.latest);

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 2,
      kafka: true,
      auth: { mode: 'authorize', superUsers: ['User:admin'] },
    });
    admin = new Tributary({ bootstrap: cluster.bootstrap, token: await cluster.token('User:admin') });
    alice = await cluster.token('User:alice');
    await admin.admin().createTopics([
      { name: 'alice-orders', numPartitions: 2, replicationFactor: 1 },
      { name: 'bob-payments', numPartitions: 2, replicationFactor: 1 },
    ]);
    await admin.admin().createAcls(prefixGrants('User:alice', 'alice-', ['read', 'write', 'create']));
    etcd = await openEtcd(cluster);
  });

  afterAll(async () => {
    await etcd?.close();
    await admin?.close();
    await cluster?.stop();
  });

  it('refuses a client without credentials, with a token of another key, an expired token, or another username', async () => {
    const before = await etcdSnapshot(etcd);
    const foreign = await createToken({ principal: 'User:alice', ttlSeconds: 60, key: randomBytes(32) });
    const expired = await createToken({
      principal: 'User:alice',
      ttlSeconds: 1,
      key: readTokenKey(cluster.tokenKeyFile!),
      nowMs: Date.now() - 10_000,
    });
    const attempts: [string, SASLOptions | undefined, RegExp][] = [
      ['no SASL', undefined, /.+/],
      ['foreign key', plain('alice', foreign), /not signed with this cluster/],
      ['expired', plain('alice', expired), /expired/],
      ['other username', plain('bob', alice), /the token is for User:alice, not User:bob/],
      [
        'bad oauthbearer',
        { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: 'not-a-jwt' }) },
        /not valid/,
      ],
    ];
    for (const [what, sasl, message] of attempts) {
      const producer = kafka(sasl).producer();
      const failed = await producer
        .connect()
        .then(() => producer.send({ topic: 'alice-orders', messages: [{ value: what }] }))
        .then(
          () => undefined,
          (err: Error) => err,
        );
      await producer.disconnect().catch(() => undefined);
      expect({ what, failed: failed?.message }).toEqual({ what, failed: expect.stringMatching(message) });
      if (sasl) expect(failed?.name).toBe('KafkaJSSASLAuthenticationError');
    }
    expect(await offsetsOf('alice-orders')).toEqual([0, 0]);
    expect(await etcdSnapshot(etcd)).toEqual(before);
  });

  it('lets a prefix-limited principal see, create, produce to and consume exactly its own topics and groups', async () => {
    const client = kafka(plain('alice', alice));
    const kadmin = client.admin();
    await kadmin.connect();
    // Metadata answers only what alice may describe.
    expect((await kadmin.listTopics()).sort()).toEqual(['alice-orders']);
    const fetched = await kadmin.fetchTopicMetadata({ topics: ['bob-payments'] }).then(
      () => undefined,
      (err: { type?: string }) => err.type,
    );
    expect(fetched).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await kadmin.createTopics({ topics: [{ topic: 'alice-audit', numPartitions: 1 }] })).toBe(true);
    const createdBob = await kadmin.createTopics({ topics: [{ topic: 'bob-audit', numPartitions: 1 }] }).then(
      () => undefined,
      (err: { errors?: { type: string }[] }) => err.errors?.map((e) => e.type),
    );
    expect(createdBob).toEqual(['TOPIC_AUTHORIZATION_FAILED']);
    const deleted = await kadmin.deleteTopics({ topics: ['alice-orders'], timeout: 5000 }).then(
      () => undefined,
      (err: { type?: string }) => err.type,
    );
    expect(deleted).toBe('TOPIC_AUTHORIZATION_FAILED');
    await kadmin.disconnect();

    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 3 } });
    await producer.connect();
    await producer.send({
      topic: 'alice-orders',
      acks: -1,
      messages: [{ key: 'k', value: 'hello', partition: 0 }],
    });
    const before = await etcdSnapshot(etcd);
    const refused = await producer
      .send({ topic: 'bob-payments', messages: [{ value: 'sneaky', partition: 0 }] })
      .then(
        () => undefined,
        (err: { type?: string; cause?: { type?: string } }) => err.type ?? err.cause?.type,
      );
    expect(refused).toBe('TOPIC_AUTHORIZATION_FAILED');
    await producer.disconnect();
    expect(await offsetsOf('bob-payments')).toEqual([0, 0]);
    expect(await etcdSnapshot(etcd)).toEqual(before);

    const consumer = client.consumer({ groupId: 'alice-readers', sessionTimeout: 6000 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: 'alice-orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
    await waitFor(() => seen.length === 1, { timeoutMs: 30_000, description: 'alice to read her record' });
    expect(seen).toEqual(['hello']);
    await consumer.disconnect();

    // A group outside alice's prefix: FindCoordinator answers GROUP_AUTHORIZATION_FAILED, which
    // kafkajs logs and then reports as "Failed to find group coordinator".
    const logged: string[] = [];
    const watched = kafka(plain('alice', alice), {
      logLevel: logLevel.DEBUG,
      logCreator: () => (entry) =>
        void logged.push(`${entry.log.message} ${String(entry.log['error'] ?? '')}`),
    });
    const bobGroup = watched.consumer({
      groupId: 'bob-readers',
      sessionTimeout: 6000,
      retry: { retries: 0 },
    });
    await bobGroup.connect();
    await bobGroup.subscribe({ topic: 'alice-orders' });
    const crashed = new Promise<string>((resolve) =>
      bobGroup.on(bobGroup.events.CRASH, (e) => resolve(String(e.payload.error))),
    );
    await bobGroup.run({ eachMessage: async () => undefined }).catch(() => undefined);
    expect(await crashed).toMatch(/Failed to find group coordinator/);
    expect(logged.join('\n')).toMatch(/Not authorized to access group/);
    await bobGroup.disconnect().catch(() => undefined);
  });

  it('authenticates SASL/OAUTHBEARER with the same token', async () => {
    const producer = kafka({
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: alice }),
    }).producer();
    await producer.connect();
    await producer.send({ topic: 'alice-orders', messages: [{ value: 'over oauthbearer', partition: 1 }] });
    await producer.disconnect();
    expect(await offsetsOf('alice-orders')).toEqual([1, 1]);
  });
});
