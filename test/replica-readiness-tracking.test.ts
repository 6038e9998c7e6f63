import { connectEtcd, type EtcdConnection, keys, serializeRecord } from '@tributary/registry';
import { type EtcdServer, startEtcd, waitFor } from '@tributary/test-kit';
import { ClusterMetadata } from '../services/broker/src/cluster/cluster-metadata';
import {
  type LaggingReplica,
  laggingReplicas,
  ReplicaReadiness,
} from '../services/broker/src/cluster/replica-readiness';

jest.setTimeout(60_000);

/**
 * The readiness tracker follows changed partitions, topics and brokers instead of walking every
 * replica per burst of changes (docs/scale.md): against a real etcd and metadata mirror, what it
 * holds must always come back to what a full pass over the mirror finds, and `set` must say so.
 */
describe('replica readiness follows metadata changes', () => {
  let etcd: EtcdServer;
  let conn: EtcdConnection;
  let metadata: ClusterMetadata;
  let readiness: ReplicaReadiness;
  const states: boolean[] = [];
  const ME = 0;

  const putBroker = (id: number) =>
    conn.ns
      .put(keys.brokerKey(id))
      .value(
        serializeRecord({ version: 1, id, host: '127.0.0.1', port: 1000 + id, rack: null, startedAt: 0 }),
      );
  const putTopic = (name: string, replicas: number[][], deleting = false) =>
    conn.ns
      .put(keys.topicKey(name))
      .value(
        serializeRecord({ version: 1, name, topicId: name, replicas, configs: {}, createdAt: 0, deleting }),
      );
  const putState = (topic: string, partition: number, leader: number, isr: number[]) =>
    conn.ns
      .put(keys.partitionStateKey(topic, partition))
      .value(
        serializeRecord({ version: 1, leader, leaderEpoch: 1, isr, controllerEpoch: 1, partitionEpoch: 1 }),
      );
  const key = (r: LaggingReplica) => `${r.topic}/${r.partition}<-${r.leader}`;
  const fullPass = () => {
    const view = metadata.view;
    return laggingReplicas(ME, view.topics(), (t) => view.partitions(t), view.brokers())
      .map(key)
      .sort();
  };
  /** Waits until the tracker agrees with a full pass and that pass names `expected`. */
  const settlesOn = (expected: string[]) =>
    waitFor(
      () => {
        const tracked = readiness.laggingNow().map(key).sort();
        const full = fullPass();
        return (
          JSON.stringify(tracked) === JSON.stringify(full) &&
          JSON.stringify(full) === JSON.stringify([...expected].sort()) &&
          states.at(-1) === (expected.length === 0)
        );
      },
      { timeoutMs: 10_000, description: `lagging ${JSON.stringify(expected)}` },
    );

  beforeAll(async () => {
    etcd = await startEtcd();
    conn = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: 'readiness-tracking' });
    for (const id of [0, 1, 2]) await putBroker(id);
    await putTopic('a', [
      [0, 1, 2],
      [1, 0, 2],
      [2, 0, 1],
      [1, 2],
    ]);
    await putState('a', 0, 0, [0, 1, 2]);
    await putState('a', 1, 1, [1, 2]);
    await putState('a', 2, 2, [2, 0, 1]);
    await putState('a', 3, 1, [1, 2]);
    metadata = new ClusterMetadata(() => conn.ns);
    await metadata.start();
    readiness = new ReplicaReadiness(ME, metadata, (caughtUp) => states.push(caughtUp));
    readiness.start();
  });
  afterAll(async () => {
    readiness?.stop();
    await metadata?.close();
    conn?.close();
    await etcd?.stop();
  });

  it('starts from a full pass', async () => {
    await settlesOn(['a/1<-1']);
  });

  it('follows a partition joining and leaving the ISR', async () => {
    await putState('a', 1, 1, [1, 2, 0]);
    await settlesOn([]);
    await putState('a', 2, 2, [2, 1]);
    await settlesOn(['a/2<-2']);
    await putState('a', 2, 1, [1]); // leadership moved while out of the ISR
    await settlesOn(['a/2<-1']);
  });

  it('follows brokers going and coming (their leaderships stop and start counting)', async () => {
    await conn.ns.delete().key(keys.brokerKey(1));
    await settlesOn([]);
    await putBroker(1);
    await settlesOn(['a/2<-1']);
  });

  it('follows topics: a new one, a reassignment, and one being deleted', async () => {
    await putTopic('b', [
      [1, 0],
      [2, 0],
    ]);
    await putState('b', 0, 1, [1]);
    await putState('b', 1, 2, [2, 0]);
    await settlesOn(['a/2<-1', 'b/0<-1']);
    await putTopic('b', [
      [1, 2],
      [2, 0],
    ]); // moved off this broker
    await settlesOn(['a/2<-1']);
    await putTopic(
      'a',
      [
        [0, 1, 2],
        [1, 0, 2],
        [2, 0, 1],
        [1, 2],
      ],
      true,
    );
    await settlesOn([]);
  });

  it('agrees with a full pass after a burst of changes over many partitions', async () => {
    const partitions = 200;
    const replicas = Array.from({ length: partitions }, (_, p) => [p % 3, (p + 1) % 3, (p + 2) % 3]);
    await putTopic('many', replicas);
    // A deterministic spread of leaders and ISRs, then a second wave over half of them.
    const isrOf = (p: number, wave: number) =>
      (p * 7 + wave) % 3 === 0 ? replicas[p]!.filter((b) => b !== ME) : replicas[p]!;
    await Promise.all(replicas.map((r, p) => putState('many', p, r[0]!, isrOf(p, 0))));
    const lagging = (wave: number, upTo: number) =>
      replicas.flatMap((r, p) => {
        const w = p < upTo ? wave : 0;
        return r[0] !== ME && !isrOf(p, w).includes(ME) ? [`many/${p}<-${r[0]}`] : [];
      });
    await settlesOn(lagging(0, 0));
    await Promise.all(
      replicas.slice(0, partitions / 2).map((r, p) => putState('many', p, r[0]!, isrOf(p, 1))),
    );
    await settlesOn(lagging(1, partitions / 2));
  });
});
