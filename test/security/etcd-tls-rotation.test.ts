import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tributary } from '@tributary/client';
import {
  CertificateAuthority,
  type EtcdServer,
  freePort,
  LocalCluster,
  startEtcd,
  waitFor,
} from '@tributary/test-kit';

/**
 * Issue 20, etcd client certificates re-read like the others: the services' `etcd.tls.*` files
 * are replaced with a certificate and CA of a new authority, and etcd is restarted trusting only
 * that authority (as when the etcd CA is rotated). The services' next connections to etcd use the
 * new files; with the files read once at start, every service would lose etcd for good.
 */
jest.setTimeout(180_000);

describe('etcd client certificate rotation', () => {
  let dir: string;
  let etcd: EtcdServer | undefined;
  let cluster: LocalCluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('services follow a new etcd CA and client certificate without a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'etcd-rotation-'));
    const dataDir = join(dir, 'etcd-data');
    const first = CertificateAuthority.create(join(dir, 'ca-1'), 'etcd CA 1');
    const ports = { clientPort: await freePort(), peerPort: await freePort() };
    etcd = await startEtcd({ ...ports, dataDir, tls: { ca: first, clientCertAuth: true } });
    // The services read copies, replaced by rename as a Kubernetes Secret update does.
    const files = {
      caFile: join(dir, 'etcd-ca.crt'),
      certFile: join(dir, 'etcd.crt'),
      keyFile: join(dir, 'etcd.key'),
    };
    const install = (from: { caFile: string; certFile: string; keyFile: string }) => {
      for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
        copyFileSync(from[key], `${files[key]}.new`);
        renameSync(`${files[key]}.new`, files[key]);
      }
    };
    install({ caFile: first.caFile, ...first.issue('etcd-client-1') });
    cluster = await LocalCluster.start({
      brokers: 1,
      etcd: { ...etcd, tls: files },
      extraArgs: {
        broker: ['--tls.reload.interval.ms', '200'],
        controller: ['--tls.reload.interval.ms', '200'],
        'group-coordinator': ['--tls.reload.interval.ms', '200'],
      },
    });
    const client = new Tributary({ bootstrap: cluster.bootstrap, retry: { timeoutMs: 60_000 } });
    try {
      await client.admin().createTopics([{ name: 'before', numPartitions: 1, replicationFactor: 1 }]);

      const second = CertificateAuthority.create(join(dir, 'ca-2'), 'etcd CA 2');
      install({ caFile: second.caFile, ...second.issue('etcd-client-2') });
      await waitFor(
        () => cluster!.nodes.every((n) => n.process?.stdout.includes('etcd TLS files reloaded')),
        { timeoutMs: 10_000, description: 'every service to re-read its etcd TLS files' },
      );
      await etcd.stop();
      etcd = await startEtcd({ ...ports, dataDir, tls: { ca: second, clientCertAuth: true } });

      // A topic created now is written by the controller and picked up by the broker through etcd.
      await client.admin().createTopics([{ name: 'after', numPartitions: 1, replicationFactor: 1 }]);
      await waitFor(async () => (await client.admin().listTopics()).includes('after'), {
        timeoutMs: 30_000,
        description: 'the broker to see the new topic through the restarted etcd',
      });
      const producer = client.producer({ lingerMs: 1 });
      await producer.send({ topic: 'after', messages: [{ value: 'over the new etcd CA' }] });
      await producer.disconnect();
      expect((await client.admin().fetchTopicOffsets('after'))[0]!.latest).toBe(1);
      expect((await client.admin().listTopics()).sort()).toEqual(['after', 'before']);
    } finally {
      await client.close();
    }
  });
});
