import type { Tributary as Client } from '@tributary/client';
import { LocalCluster, waitFor } from '@tributary/test-kit';

const { Tributary } = require('@tributary/client') as typeof import('@tributary/client');

/**
 * Issue 20: on a mutual-TLS listener a client certificate is a credential of its own: its
 * common name is the principal (`User:<CN>`), authorized by the same ACLs as a token's subject.
 */
jest.setTimeout(120_000);

describe('a client certificate as the principal', () => {
  let cluster: LocalCluster;
  const clients: Client[] = [];

  const clientAs = (commonName: string) => {
    const tls = cluster.tls!;
    const client = new Tributary({
      bootstrap: cluster.bootstrap,
      tls: { caFile: tls.caFile, ...tls.ca.issue(commonName) },
      retry: { timeoutMs: 10_000 },
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 1,
      controllers: 1,
      coordinators: 0,
      tls: { clientAuth: 'required' },
      auth: { mode: 'authorize', superUsers: ['User:admin'] },
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  it('authenticates by common name, without a token, and authorizes by its ACLs', async () => {
    const admin = clientAs('admin').admin();
    await admin.createTopics([
      { name: 'carol-t', numPartitions: 1, replicationFactor: 1 },
      { name: 'dave-t', numPartitions: 1, replicationFactor: 1 },
    ]);
    const carol = clientAs('carol').admin();
    // Authenticated (no UNAUTHENTICATED), but allowed nothing yet.
    expect(await carol.listTopics()).toEqual([]);
    await expect(carol.deleteTopics(['dave-t'])).rejects.toMatchObject({
      errorName: 'TOPIC_AUTHORIZATION_FAILED',
    });

    await admin.createAcls([
      {
        principal: 'User:carol',
        resourceType: 'topic',
        patternType: 'literal',
        resourceName: 'carol-t',
        operation: 'describe',
        permission: 'allow',
      },
    ]);
    await waitFor(async () => (await carol.listTopics()).length === 1, {
      timeoutMs: 10_000,
      description: 'carol to see carol-t',
    });
    expect(await carol.listTopics()).toEqual(['carol-t']);
    expect((await admin.listTopics()).sort()).toEqual(['carol-t', 'dave-t']);
  });
});
