import {
  connectEtcd,
  EphemeralKey,
  type EtcdConnection,
  KeyInUseError,
  keys,
  PrefixWatch,
} from '@tributary/registry';
import { type EtcdServer, startEtcd, waitFor } from '@tributary/test-kit';

describe('registry against a real etcd', () => {
  let etcd: EtcdServer;
  let a: EtcdConnection;
  let b: EtcdConnection;

  beforeAll(async () => {
    etcd = await startEtcd();
    a = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: 'registry-test' });
    b = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: 'registry-test' });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await etcd?.stop();
  });

  it('keeps every key under /tributary/<cluster>/', async () => {
    await a.ns.put(keys.topicKey('t1')).value('x');
    expect(await a.client.get('/tributary/registry-test/topics/t1').string()).toBe('x');
  });

  it('lets one holder own an ephemeral key; a second is refused until the first releases it', async () => {
    const first = await EphemeralKey.acquire(a.ns, keys.brokerKey(1), 'first', 5, () => undefined);
    await expect(EphemeralKey.acquire(b.ns, keys.brokerKey(1), 'second', 5, () => undefined)).rejects.toThrow(
      KeyInUseError,
    );
    await first.release();
    expect(await a.ns.get(keys.brokerKey(1)).string()).toBeNull();
    const second = await EphemeralKey.acquire(b.ns, keys.brokerKey(1), 'second', 5, () => undefined);
    expect(second.createRevision).toBeGreaterThan(first.createRevision);
    expect(await first.update('stale')).toBe(false);
    expect(await second.update('fresh')).toBe(true);
    await second.release();
  });

  it('mirrors a prefix: a snapshot, then every put and delete in order, with namespace-relative keys', async () => {
    await a.ns.put(keys.partitionStateKey('w', 0)).value('p0');
    const seen: string[] = [];
    const watch = new PrefixWatch(a.ns, keys.partitionsPrefix('w'), {
      onSnapshot: (entries) => {
        seen.push(`snapshot ${[...entries].map(([k, v]) => `${k}=${v}`).join(',')}`);
      },
      onPut: (key, value) => {
        seen.push(`put ${key}=${value}`);
      },
      onDelete: (key) => {
        seen.push(`delete ${key}`);
      },
    });
    await watch.start();
    await b.ns.put(keys.partitionStateKey('w', 1)).value('p1');
    await b.ns.delete().key(keys.partitionStateKey('w', 0));
    await waitFor(() => seen.length >= 3, { timeoutMs: 5000, description: 'watch events' });
    await watch.close();
    expect(seen).toEqual(['snapshot partitions/w/0=p0', 'put partitions/w/1=p1', 'delete partitions/w/0']);
  });
});
