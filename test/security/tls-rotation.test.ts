import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { Tributary } from '@tributary/client';
import { LocalCluster, type ServiceNode, waitFor } from '@tributary/test-kit';

/**
 * Issue 20, rotation: certificate files rewritten under a running cluster (as cert-manager or a
 * Kubernetes Secret update does) while a producer sends continuously: no request fails, and new
 * connections to every service get the new certificate, without a restart.
 */

jest.setTimeout(120_000);

/** The certificate a new TLS connection to `node` is served, verified against the cluster's CA. */
function servedCertificate(node: ServiceNode, caFile: string, client: { certFile: string; keyFile: string }) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: node.port,
        ca: readFileSync(caFile),
        cert: readFileSync(client.certFile),
        key: readFileSync(client.keyFile),
        ALPNProtocols: ['h2'],
      },
      () => {
        resolve(socket.getPeerX509Certificate()!.fingerprint256);
        socket.destroy();
      },
    );
    socket.once('error', reject);
  });
}

const fingerprintOf = (certFile: string) => new X509Certificate(readFileSync(certFile)).fingerprint256;

describe('certificate rotation under load', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      tls: { clientAuth: 'required' },
      leaseTtlSeconds: 3,
      extraArgs: {
        broker: ['--tls.reload.interval.ms', '200'],
        controller: ['--tls.reload.interval.ms', '200'],
        'group-coordinator': ['--tls.reload.interval.ms', '200'],
      },
    });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('rewrites every service’s and the client’s certificate while a producer sends: zero failed sends, new connections see the new certificates', async () => {
    const tls = cluster.tls!;
    const clientFiles = tls.ca.issue('producer');
    const client = new Tributary({
      bootstrap: cluster.bootstrap,
      tls: { caFile: tls.caFile, ...clientFiles, reloadIntervalMs: 200 },
    });
    const topic = `rotation-${Date.now().toString(36)}`;
    await client.admin().createTopics([{ name: topic, numPartitions: 3, replicationFactor: 3 }]);
    const producer = client.producer({ acks: -1, lingerMs: 1 });

    let sent = 0;
    let failed = 0;
    const failures: string[] = [];
    let sending = true;
    const sender = (async () => {
      while (sending) {
        try {
          await producer.send({ topic, messages: [{ key: `k${sent % 7}`, value: `v${sent}` }] });
          sent++;
        } catch (err) {
          failed++;
          failures.push((err as Error).message);
        }
      }
    })();
    await waitFor(() => sent >= 200, {
      timeoutMs: 20_000,
      description: '200 records sent before the rotation',
    });

    const before = new Map(cluster.nodes.map((n) => [n, fingerprintOf(n.tls!.certFile)]));
    const sentAtRotation = sent;
    for (const node of cluster.nodes) tls.ca.issue(node.kind, { files: node.tls! });
    tls.ca.issue('producer', { files: clientFiles });

    for (const node of cluster.nodes) {
      const rotated = fingerprintOf(node.tls!.certFile);
      expect(rotated).not.toBe(before.get(node));
      await waitFor(async () => (await servedCertificate(node, tls.caFile, clientFiles)) === rotated, {
        timeoutMs: 10_000,
        description: `${node.kind} ${node.id} to serve its new certificate`,
      });
    }
    // Keep sending a while after every listener serves the new certificate.
    const sentAfter = sent;
    await waitFor(() => sent >= sentAfter + 200, {
      timeoutMs: 20_000,
      description: '200 more records after',
    });
    sending = false;
    await sender;
    await producer.flush();

    expect(failures).toEqual([]);
    expect(failed).toBe(0);
    expect(sent).toBeGreaterThan(sentAtRotation + 200);
    const offsets = await client.admin().fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + p.latest, 0)).toBe(sent);

    // A client that connects now, with the rotated client certificate, is let in.
    const fresh = new Tributary({
      bootstrap: cluster.bootstrap,
      tls: { caFile: tls.caFile, ...clientFiles },
    });
    try {
      expect(await fresh.admin().listTopics()).toContain(topic);
    } finally {
      await fresh.close();
      await client.close();
    }
  });
});
