import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, stringSerde, Tributary } from '@tributary/client';
import { createChannelCredentials, createClient } from '@tributary/proto';
import { CertificateAuthority, type EtcdServer, LocalCluster, startEtcd, waitFor } from '@tributary/test-kit';
import { tributary } from '../lib/run-cli';

/**
 * Issue 20, TLS: a whole cluster on TLS — etcd requiring client certificates, every gRPC
 * listener requiring them (mutual TLS), and every link (replication, broker → controller,
 * coordinator → broker, services → etcd) on TLS — produces and consumes through the TypeScript
 * client. Clients whose transport does not fit are refused at once, with one clear line.
 */

jest.setTimeout(120_000);

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

describe('a cluster on TLS with mutual TLS', () => {
  let dir: string;
  let ca: CertificateAuthority;
  let etcd: EtcdServer;
  let cluster: LocalCluster;
  let alice: { certFile: string; keyFile: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-tls-'));
    ca = CertificateAuthority.create(join(dir, 'ca'));
    etcd = await startEtcd({ tls: { ca, clientCertAuth: true } });
    cluster = await LocalCluster.start({ etcd, tls: { ca, clientAuth: 'required' }, leaseTtlSeconds: 3 });
    alice = ca.issue('alice');
  });

  afterAll(async () => {
    await cluster?.stop();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('produces 3,000 records to a topic replicated on 3 brokers and a group consumes every one', async () => {
    expect(etcd.endpoint).toMatch(/^https:/);
    const client = new Tributary({ bootstrap: cluster.bootstrap, tls: { caFile: ca.caFile, ...alice } });
    try {
      const topic = unique('secure');
      await client.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3 }]);
      const producer = client.producer({ acks: -1, lingerMs: 2 });
      const sent = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 30}`, value: `v${i}` }));
      for (let i = 0; i < sent.length; i += 500)
        await producer.send({ topic, messages: sent.slice(i, i + 500) });
      await producer.flush();
      // acks=all came back, so followers fetched over TLS; every replica caught up says the same.
      const offsets = await client.admin().fetchTopicOffsets(topic);
      expect(offsets.reduce((sum, p) => sum + p.latest, 0)).toBe(3000);

      const consumer = client.consumer({
        groupId: unique('readers'),
        keyDeserializer: stringSerde.deserialize,
        valueDeserializer: stringSerde.deserialize,
      });
      const seen = new Set<string>();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.add(message.value!);
        },
      });
      await waitFor(() => seen.size === 3000, {
        timeoutMs: 30_000,
        description: 'all 3,000 records consumed',
      });
      await consumer.disconnect();
    } finally {
      await client.close();
    }
  });

  it('a plaintext client fails at once with INVALID_CONFIG saying the listener speaks TLS', async () => {
    const client = new Tributary({ bootstrap: cluster.bootstrap });
    const t0 = Date.now();
    try {
      const err = await client
        .admin()
        .listTopics()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfigError);
      expect((err as Error).message).toMatch(/speaks TLS and this client connects in plaintext/);
      // Not the minute of retries an unreachable broker gets.
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await client.close();
    }
  });

  it('the CLI prints one line: plaintext at a TLS listener, and a missing client certificate', async () => {
    const b = ['--bootstrap', cluster.bootstrap[0]!];
    const plain = await tributary(['topics', 'list', ...b]);
    expect(plain.code).toBe(1);
    expect(plain.stderr.trim().split('\n')).toHaveLength(1);
    expect(plain.stderr).toMatch(/speaks TLS.*--tls-ca-file/);

    const noCert = await tributary(['topics', 'list', '--tls-ca-file', ca.caFile, ...b]);
    expect(noCert.code).toBe(1);
    expect(noCert.stderr.trim().split('\n')).toHaveLength(1);
    expect(noCert.stderr).toMatch(/requires a client certificate/);

    const ok = await tributary([
      'topics',
      'list',
      '--json',
      '--tls-ca-file',
      ca.caFile,
      '--tls-cert-file',
      alice.certFile,
      '--tls-key-file',
      alice.keyFile,
      ...b,
    ]); // prettier-ignore
    expect(ok).toMatchObject({ code: 0 });
    expect(Array.isArray(JSON.parse(ok.stdout))).toBe(true);
  });

  it('a client without a client certificate is refused by every mutual-TLS listener', async () => {
    const client = new Tributary({ bootstrap: cluster.bootstrap, tls: { caFile: ca.caFile } });
    try {
      const err = await client
        .admin()
        .listTopics()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfigError);
      expect((err as Error).message).toMatch(/ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED.*client certificate/);
    } finally {
      await client.close();
    }
    // Not only brokers: the controller and the coordinator refuse the handshake too.
    const credentials = createChannelCredentials({ caFile: ca.caFile });
    for (const [service, node] of [
      ['ControllerService', cluster.controllers[0]!],
      ['GroupCoordinatorService', cluster.coordinators[0]!],
      ['BrokerService', cluster.brokers[0]!],
    ] as const) {
      const c = createClient(service, node.address, { credentials });
      const err = await new Promise<Error | undefined>((resolve) =>
        c.waitForReady(Date.now() + 3000, (e) => resolve(e)),
      );
      c.close();
      expect(err).toBeInstanceOf(Error);
    }
  });

  it('a client that trusts another CA is refused before it sends anything', async () => {
    const other = CertificateAuthority.create(join(dir, 'other-ca'));
    const client = new Tributary({
      bootstrap: cluster.bootstrap,
      tls: { caFile: other.caFile, ...other.issue('mallory') },
    });
    try {
      const err = await client
        .admin()
        .listTopics()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidConfigError);
      expect((err as Error).message).toMatch(/SELF_SIGNED_CERT_IN_CHAIN.*not trusted/);
    } finally {
      await client.close();
    }
  });
});
