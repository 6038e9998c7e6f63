// Failover benchmark: partition leader elections and controller takeover on a local cluster of
// real processes (etcd, 2 controllers, 3 brokers) holding topics of 3,000 partitions at RF 3.
//
//   npm run bench:failover          (BENCH_PARTITIONS=3000 BENCH_TOPICS=3 BENCH_LEASE_TTL=5)
//
// The lease TTL only adds a constant to the kill -> lease expiry figure; the elections are timed
// from the expiry. (With 3,000 logs per broker on 2 cores, a 2 s TTL lets brokers lose their
// lease while storage checkpoints block their event loop, so the default here is 5 s.)
//
// 1. kill -9 of a broker (it leads about a third of the partitions): time until its lease expires
//    (the TTL), until every partition it led has a new leader in etcd (watched, not polled), and
//    until every live broker's Metadata shows the new leaders;
// 2. the broker restarts: time until preferred leadership is back (needs the leaders to bring it
//    back into their ISRs first);
// 3. kill -9 of the active controller: time until the standby holds the controller key, until it
//    has rebuilt its view and finished its first pass (its own "controller ready" log line), and
//    until it answers DescribeCluster.
import { createRequire } from 'node:module';
import { progress, table, writeResults } from './lib/report.mjs';
import { call } from './lib/rpc.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster, waitFor } = require('../packages/test-kit/dist/index.js');
const { connectEtcd, keys } = require('../packages/registry/dist/index.js');

const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3000);
const TOPICS = Number(process.env.BENCH_TOPICS ?? 3);
const LEASE_TTL = Number(process.env.BENCH_LEASE_TTL ?? 5);
const VICTIM = 2;

const ms = (n) => Math.round(n);

/** The last "controller ready" line a controller logged, parsed. */
function readyLine(node) {
  const lines = node.process.stdout.split('\n').filter((l) => l.includes('"controller ready"'));
  return lines.length > 0 ? JSON.parse(lines.at(-1)) : undefined;
}

async function activeController(cluster) {
  for (const node of cluster.controllers) {
    if (!node.process?.running) continue;
    const answer = await call('ControllerService', node.address, 'describeCluster', {}, 2000).catch(
      () => undefined,
    );
    if (answer) return { node, epoch: Number(answer.controllerEpoch) };
  }
  return undefined;
}

/** Mirrors partitions/ with a watch; `onChange` runs after every event. */
async function watchPartitions(etcd, onChange) {
  const states = new Map();
  const initial = await etcd.ns.getAll().prefix(keys.partitionsPrefix()).exec();
  for (const kv of initial.kvs) states.set(kv.key.toString(), JSON.parse(kv.value.toString()));
  const watcher = await etcd.ns
    .watch()
    .prefix(keys.partitionsPrefix())
    .startRevision(String(Number(initial.header.revision) + 1))
    .create();
  watcher.on('put', (kv) => {
    states.set(kv.key.toString(), JSON.parse(kv.value.toString()));
    onChange(states);
  });
  return { states, close: () => watcher.cancel() };
}

const bar = progress(6, 'steps');
const cluster = await LocalCluster.start({
  brokers: 3,
  controllers: 2,
  coordinators: 0,
  leaseTtlSeconds: LEASE_TTL,
});
const etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
const cases = [];
try {
  bar.update(1, 'cluster up');
  const active = await waitFor(() => activeController(cluster), {
    timeoutMs: 20_000,
    description: 'a controller',
  });
  await waitFor(
    async () =>
      (await call('ControllerService', active.node.address, 'describeCluster', {})).brokers.length === 3,
    { timeoutMs: 20_000, description: '3 brokers' },
  );
  const per = Math.ceil(PARTITIONS / TOPICS);
  const topics = Array.from({ length: TOPICS }, (_, i) => ({
    name: `bench-${i}`,
    numPartitions: per,
    replicationFactor: 3,
  }));
  const t0 = performance.now();
  const created = await call(
    'ControllerService',
    active.node.address,
    'createTopics',
    { topics, timeoutMs: 30_000 },
    60_000,
  );
  const createMs = performance.now() - t0;
  for (const t of created.topics) if (t.errorCode !== 0) throw new Error(`${t.name}: ${t.errorMessage}`);
  const total = per * TOPICS;
  bar.update(2, `${total} partitions created`);
  // Every broker has applied its replicas (logs created, replication started) before the kill.
  for (const b of cluster.brokers) {
    await waitFor(
      async () => {
        const md = await call('BrokerService', b.address, 'metadata', {});
        return (
          md.topics.reduce((n, t) => n + t.partitions.filter((p) => p.leaderId >= 0).length, 0) === total
        );
      },
      { timeoutMs: 120_000, intervalMs: 500, description: `broker ${b.id} metadata` },
    );
  }
  // Steady state: every partition led by its preferred replica with a full ISR.
  const replicasOf = new Map();
  for (const kv of (await etcd.ns.getAll().prefix(keys.topicsPrefix()).exec()).kvs) {
    const record = JSON.parse(kv.value.toString());
    record.replicas.forEach((r, p) => {
      replicasOf.set(keys.partitionStateKey(record.name, p), r);
    });
  }
  await waitFor(
    async () => {
      const kvs = (await etcd.ns.getAll().prefix(keys.partitionsPrefix()).exec()).kvs;
      return (
        kvs.length === total &&
        kvs.every((kv) => {
          const s = JSON.parse(kv.value.toString());
          return s.leader === replicasOf.get(kv.key.toString())[0] && s.isr.length === 3;
        })
      );
    },
    { timeoutMs: 180_000, intervalMs: 500, description: 'preferred leaders with full ISRs' },
  );
  const settledAt = performance.now();
  const flaps = cluster.brokers.reduce(
    (n, b) => n + b.process.stdout.split('\n').filter((l) => l.includes('registration lease lost')).length,
    0,
  );

  // 1. Broker kill -9.
  const before = new Map();
  for (const kv of (await etcd.ns.getAll().prefix(keys.partitionsPrefix()).exec()).kvs) {
    before.set(kv.key.toString(), JSON.parse(kv.value.toString()));
  }
  const led = [...before].filter(([, s]) => s.leader === VICTIM).map(([k]) => k);
  let expiredAt = 0;
  let electedAt = 0;
  const brokerWatch = await etcd.ns.watch().key(keys.brokerKey(VICTIM)).create();
  brokerWatch.on('delete', () => {
    expiredAt ||= performance.now();
  });
  const allElected = (states) =>
    led.every((k) => states.get(k).leader !== VICTIM && states.get(k).leader >= 0);
  const mirror = await watchPartitions(etcd, (states) => {
    if (!electedAt && allElected(states)) electedAt = performance.now();
  });
  const sweepLines = [[], [], []];
  cluster.brokers.forEach((b, i) => {
    b.process.onLine((line) => {
      if (line.includes('"applied partition metadata"')) sweepLines[i].push(JSON.parse(line));
    });
  });

  const killedAt = performance.now();
  cluster.brokers[VICTIM].signal('SIGKILL');
  await waitFor(() => electedAt > 0, {
    timeoutMs: LEASE_TTL * 1000 + 30_000,
    intervalMs: 5,
    description: 'new leaders',
  }).catch((err) => {
    const left = led.filter((k) => mirror.states.get(k).leader === VICTIM).length;
    console.error(
      `${left} of ${led.length} partitions still led by ${VICTIM}; broker key expired: ${expiredAt > 0}`,
    );
    for (const c of cluster.controllers) console.error(c.process.stdout.split('\n').slice(-15).join('\n'));
    throw err;
  });
  const metadataAt = {};
  await Promise.all(
    [0, 1].map(async (b) => {
      await waitFor(
        async () => {
          const md = await call('BrokerService', cluster.brokers[b].address, 'metadata', {});
          const byKey = new Map(
            md.topics.flatMap((t) =>
              t.partitions.map((p) => [keys.partitionStateKey(t.name, p.partition), p.leaderId]),
            ),
          );
          return led.every((k) => byKey.get(k) !== VICTIM && byKey.get(k) >= 0);
        },
        { timeoutMs: 30_000, intervalMs: 25, description: `broker ${b} metadata` },
      );
      metadataAt[b] = performance.now();
    }),
  );
  await mirror.close();
  await brokerWatch.cancel();
  // How long each live broker's follower took to apply the change (its own log line).
  const sweepLine = (b) => sweepLines[b].find((l) => l.partitions >= led.length);
  const sweeps = await Promise.all(
    [0, 1].map((b) =>
      waitFor(() => sweepLine(b), { timeoutMs: 30_000, intervalMs: 50 }).catch(() => undefined),
    ),
  );
  const sweepMs = sweeps.map((l) => l?.ms ?? null);
  const log = active.node.process.stdout
    .split('\n')
    .filter((l) => l.includes('"partition leadership updated"'))
    .map((l) => JSON.parse(l))
    .find((l) => l.partitions >= led.length);
  const epochsUp = led.every((k) => mirror.states.get(k).leaderEpoch === before.get(k).leaderEpoch + 1);
  cases.push({
    name: `broker kill -9: elect new leaders for its partitions (${total} partitions, RF 3)`,
    partitionsLed: led.length,
    partitionsRewritten: log?.partitions ?? null,
    leaseTtlMs: LEASE_TTL * 1000,
    killToLeaseExpiryMs: ms(expiredAt - killedAt),
    leaseExpiryToAllElectedMs: ms(electedAt - expiredAt),
    controllerElectionPassMs: log?.ms ?? null,
    leaseExpiryToMetadataMs: {
      broker0: ms(metadataAt[0] - expiredAt),
      broker1: ms(metadataAt[1] - expiredAt),
    },
    brokerFollowerSweepMs: { broker0: sweepMs[0], broker1: sweepMs[1] },
    killToAllElectedMs: ms(electedAt - killedAt),
    everyLeaderEpochPlusOne: epochsUp,
  });
  bar.update(3, 'broker failover measured');

  // 2. The broker returns; preferred leadership comes back once it is in sync again.
  const restartedAt = performance.now();
  cluster.brokers[VICTIM].start();
  await cluster.brokers[VICTIM].waitServing(60_000);
  const servingAt = performance.now();
  const ledStates = async () => {
    const kvs = (await etcd.ns.getAll().prefix(keys.partitionsPrefix()).exec()).kvs;
    const byKey = new Map(kvs.map((kv) => [kv.key.toString(), JSON.parse(kv.value.toString())]));
    return led.map((k) => byKey.get(k));
  };
  const back = await waitFor(async () => (await ledStates()).every((s) => s.leader === VICTIM), {
    timeoutMs: 120_000,
    intervalMs: 100,
    description: 'preferred leaders back',
  }).then(
    () => true,
    () => false,
  );
  const backAt = performance.now();
  const final = await ledStates();
  cases.push({
    name: 'broker restart: preferred leadership back',
    partitions: led.length,
    restartToServingMs: ms(servingAt - restartedAt),
    servingToPreferredLeadersMs: back ? ms(backAt - servingAt) : null,
    ...(back
      ? {}
      : {
          notBackAfterMs: ms(backAt - servingAt),
          ledByPreferredAtTimeout: final.filter((s) => s.leader === VICTIM).length,
          preferredInIsrAtTimeout: final.filter((s) => s.isr.includes(VICTIM)).length,
        }),
  });
  bar.update(4, 'preferred leadership back');

  // 3. Controller kill -9 under the same load.
  const current = await activeController(cluster);
  const standby = cluster.controllers.find((c) => c !== current.node);
  let newKeyAt = 0;
  const controllerWatch = await etcd.ns.watch().key(keys.controllerKey()).create();
  controllerWatch.on('put', () => {
    newKeyAt ||= performance.now();
  });
  const readyBefore = readyLine(standby);
  const controllerKilledAt = performance.now();
  current.node.signal('SIGKILL');
  await waitFor(() => newKeyAt > 0, {
    timeoutMs: LEASE_TTL * 1000 + 30_000,
    intervalMs: 5,
    description: 'new controller',
  });
  await waitFor(() => readyLine(standby) !== readyBefore && readyLine(standby), {
    timeoutMs: 60_000,
    intervalMs: 5,
    description: 'the new controller to be ready',
  });
  const readyAt = performance.now();
  await waitFor(
    () => call('ControllerService', standby.address, 'describeCluster', {}, 2000).then(() => true),
    {
      timeoutMs: 30_000,
      intervalMs: 5,
    },
  );
  const answersAt = performance.now();
  await controllerWatch.cancel();
  const ready = readyLine(standby);
  cases.push({
    name: `controller kill -9: standby takes over and reconciles (${total} partitions)`,
    leaseTtlMs: LEASE_TTL * 1000,
    killToNewControllerMs: ms(newKeyAt - controllerKilledAt),
    newControllerToReadyMs: ms(readyAt - newKeyAt),
    viewLoadMs: ready.loadMs,
    loadAndFirstPassMs: ready.readyMs,
    killToAnswersDescribeClusterMs: ms(answersAt - controllerKilledAt),
  });
  bar.update(5, 'controller failover measured');
  cases.push({
    name: 'setup',
    createTopicsMs: ms(createMs),
    createToSteadyStateMs: ms(settledAt - t0 - createMs),
    brokerLeaseLossesDuringSetup: flaps,
  });
  bar.update(6, 'done');
} finally {
  bar.stop();
  etcd.close();
  await cluster.stop();
}

const [broker, preferred, controller, setup] = cases;
console.log(
  table(
    ['case', 'figure', 'ms'],
    [
      [
        'broker kill -9',
        `lease expiry -> all ${broker.partitionsLed} led partitions re-elected (etcd)`,
        broker.leaseExpiryToAllElectedMs,
      ],
      ['', 'controller election pass (decide + batched txns)', broker.controllerElectionPassMs],
      [
        '',
        'lease expiry -> Metadata on broker 0 / broker 1',
        `${broker.leaseExpiryToMetadataMs.broker0} / ${broker.leaseExpiryToMetadataMs.broker1}`,
      ],
      ['', `kill -> lease expiry (TTL ${LEASE_TTL} s)`, broker.killToLeaseExpiryMs],
      [
        'broker restart',
        'serving -> preferred leaders back',
        preferred.servingToPreferredLeadersMs ??
          `not within ${preferred.notBackAfterMs} ms (${preferred.preferredInIsrAtTimeout} back in ISR)`,
      ],
      ['controller kill -9', 'kill -> standby holds the controller key', controller.killToNewControllerMs],
      ['', 'new key -> view rebuilt and first pass done', controller.newControllerToReadyMs],
      ['', 'kill -> answers DescribeCluster', controller.killToAnswersDescribeClusterMs],
      ['setup', `CreateTopics ${PARTITIONS} partitions`, setup.createTopicsMs],
    ],
  ),
);
const file = writeResults('failover', cases, {
  config: {
    partitions: PARTITIONS,
    topics: TOPICS,
    replicationFactor: 3,
    brokers: 3,
    controllers: 2,
    leaseTtlSeconds: LEASE_TTL,
  },
});
console.log(`results: ${file}`);
