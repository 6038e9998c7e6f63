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
