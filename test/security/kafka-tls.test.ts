import { readFileSync } from 'node:fs';
import { Tributary } from '@tributary/client';
import { LocalCluster } from '@tributary/test-kit';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Issue 20, TLS on the Kafka listener: with `kafka.listener.tls` a broker's Kafka front door is an
 * SSL listener serving the broker's own certificate (and requiring client certificates when
 * `tls.client.auth` does). kafkajs produces over it; a plaintext Kafka client gets nowhere.
 */

jest.setTimeout(120_000);

describe('the Kafka listener on TLS', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 1, kafka: true, tls: { clientAuth: 'required' } });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('kafkajs with the CA and a client certificate produces; a plaintext kafkajs cannot connect', async () => {
    const tls = cluster.tls!;
    const alice = tls.ca.issue('alice');
    const topic = `kafka-tls-${Date.now().toString(36)}`;
    const client = new Tributary({ bootstrap: cluster.bootstrap, tls: { caFile: tls.caFile, ...alice } });
    try {
      await client.admin().createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
      const kafka = new Kafka({
        clientId: 'kafka-tls',
        brokers: cluster.kafkaBootstrap,
        logLevel: logLevel.NOTHING,
        ssl: {
          ca: [readFileSync(tls.caFile, 'utf8')],
          cert: readFileSync(alice.certFile, 'utf8'),
          key: readFileSync(alice.keyFile, 'utf8'),
        },
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
      await producer.disconnect();
      const [offsets] = await client.admin().fetchTopicOffsets(topic);
      expect(offsets!.latest).toBe(10);

      const plain = new Kafka({
        clientId: 'kafka-plain',
        brokers: cluster.kafkaBootstrap,
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        retry: { retries: 1 },
      });
      const admin = plain.admin();
      await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
      await admin.disconnect();
    } finally {
      await client.close();
    }
  });
});

/**
 * With authentication on, a verified client certificate on the Kafka TLS listener is the
 * connection's principal (`User:<CN>`, as on gRPC): no SASL needed, and the ACLs decide.
 */
describe('the Kafka TLS listener with client certificates as principals', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 1,
      kafka: true,
      tls: { clientAuth: 'required' },
      auth: { mode: 'authorize', superUsers: ['User:admin'] },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('produces as the certificate’s principal to what its ACLs allow, and nothing else', async () => {
    const tls = cluster.tls!;
    const admin = new Tributary({
      bootstrap: cluster.bootstrap,
      tls: { caFile: tls.caFile, ...tls.ca.issue('admin') },
    });
    const carol = tls.ca.issue('carol');
    try {
      await admin.admin().createTopics([
        { name: 'carol-events', numPartitions: 1, replicationFactor: 1 },
        { name: 'dave-events', numPartitions: 1, replicationFactor: 1 },
      ]);
      await admin.admin().createAcls([
        {
          principal: 'User:carol',
          resourceType: 'topic',
          patternType: 'prefixed',
          resourceName: 'carol-',
          operation: 'write',
          permission: 'allow',
        },
      ]);
      const kafka = new Kafka({
        clientId: 'kafka-mtls',
        brokers: cluster.kafkaBootstrap,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        ssl: {
          ca: [readFileSync(tls.caFile, 'utf8')],
          cert: readFileSync(carol.certFile, 'utf8'),
          key: readFileSync(carol.keyFile, 'utf8'),
        },
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'carol-events', messages: [{ value: 'mine' }] });
      const refused = await producer.send({ topic: 'dave-events', messages: [{ value: 'not mine' }] }).then(
        () => undefined,
        (err: { type?: string; cause?: { type?: string } }) => err.type ?? err.cause?.type,
      );
      await producer.disconnect();
      expect(refused).toBe('TOPIC_AUTHORIZATION_FAILED');
      const offsets = async (topic: string) => (await admin.admin().fetchTopicOffsets(topic))[0]!.latest;
      expect([await offsets('carol-events'), await offsets('dave-events')]).toEqual([1, 0]);
    } finally {
      await admin.close();
    }
  });
});
