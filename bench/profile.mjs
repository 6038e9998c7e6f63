// Where the time goes (issue 19): CPU profiles (`node --cpu-prof`) of the brokers and of the
// client under a throughput case and a latency case, rendered as flame-graph SVGs into
// docs/perf/ and summarised (self time by area and by function) in bench/results/profile.json.
//
//   npm run bench:profile            (BENCH_SCALE=2 for twice the records / seconds)
//
// Cases (three brokers, etcd, one controller; each case on a fresh cluster so a profile covers
// only its case):
// - throughput: `tributary perf produce`, 100 B records, RF=3 acks=all, 3 partitions, as fast
//   as it goes;
// - latency: bench/lib/e2e-at-rate.mjs, 100 B records at 5,000 records/s, RF=3 acks=all.
// The broker graph is of the busiest broker (the most CPU samples). Ports BENCH_PORT_BASE
// (42000) + 400..499 on 127.0.0.1.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readProfileTree, summarizeProfile } from './lib/cpu-profile.mjs';
import { renderFlameGraph } from './lib/flame-graph-svg.mjs';
import { progress, table, writeResults } from './lib/report.mjs';
import { startTributaryCluster } from './lib/tributary-cluster.mjs';
import { tributaryTools } from './lib/tributary-perf.mjs';

const require = createRequire(import.meta.url);
const { ManagedProcess, checkHealth, serviceMain, waitFor } = require('../packages/test-kit/dist/index.js');
const { connectEtcd, keys } = require('../packages/registry/dist/index.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCS = path.join(ROOT, 'docs', 'perf');
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const RATE = 5000;

const CASES = [
  {
    name: 'throughput',
    title: 'produce 100 B records, RF=3 acks=all, 3 partitions, one producer as fast as it goes',
    run: (tools, topic) =>
      tools.produce({ topic, records: Math.round(1_000_000 * SCALE), recordSize: 100, acks: 'all' }),
    partitions: 3,
  },
  {
    name: 'latency',
    title: `end-to-end, 100 B records at ${RATE} records/s, RF=3 acks=all`,
    run: (tools, topic) =>
      tools.endToEnd({
        topic,
        records: Math.round(RATE * 10 * SCALE),
        recordSize: 100,
        rate: RATE,
        acks: 'all',
        warmup: RATE,
      }),
    partitions: 1,
  },
];

/** The profile file a process wrote into `dir` (`CPU.<date>.<time>.<pid>.<tid>.<n>.cpuprofile`). */
const profileOf = (dir, pid) => fs.readdirSync(dir).find((f) => f.split('.')[3] === String(pid));

async function profileCase(c) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `tributary-prof-${c.name}-`));
  const serverDir = path.join(work, 'servers');
  const clientDir = path.join(work, 'client');
  const tributary = await startTributaryCluster(PORT_BASE + 400);
  const { etcd, cluster } = tributary;
  const profiled = [];
  let figures;
  try {
    // Node refuses --cpu-prof in NODE_OPTIONS: each broker is restarted with it, under the same
    // arguments, once its registration is gone.
    const registry = await connectEtcd({ endpoints: [etcd.endpoint], clusterName: cluster.clusterName });
    try {
      for (const b of cluster.brokers) {
        await b.stop();
        await waitFor(
          async () => (await registry.ns.get(keys.brokerKey(Number(b.id))).exec()).kvs.length === 0,
          { timeoutMs: 15_000 },
        );
        const proc = new ManagedProcess(
          `broker-${b.id}-profiled`,
          process.execPath,
          ['--cpu-prof', `--cpu-prof-dir=${serverDir}`, serviceMain('broker'), ...b.args],
          { echo: false },
        );
        profiled.push({ proc, name: `broker ${b.id}` });
        await waitFor(async () => (await checkHealth(b.address)) === 'SERVING', {
          timeoutMs: 30_000,
          intervalMs: 100,
        });
      }
    } finally {
      registry.close();
    }
    const topic = `profile-${c.name}`;
    await tributaryTools({ bootstrap: tributary.bootstrap }).createTopic(topic, c.partitions, 3);
    figures = await c.run(
      tributaryTools({
        bootstrap: tributary.bootstrap,
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${clientDir}`],
      }),
      topic,
    );
  } finally {
    await Promise.all(profiled.map(({ proc }) => proc.stop(10_000)));
    await tributary.stop();
  }
  const brokerPids = new Map(profiled.map(({ proc, name }) => [proc.pid, name]));
  const brokers = [...brokerPids].map(([pid, name]) => {
    const file = path.join(serverDir, profileOf(serverDir, pid));
    return { name, file, summary: summarizeProfile(file) };
  });
  const busiest = brokers.sort((a, b) => b.summary.busyMs - a.summary.busyMs)[0];
  const clientFile = path.join(clientDir, fs.readdirSync(clientDir)[0]);
  fs.mkdirSync(DOCS, { recursive: true });
  const graphs = {
    broker: path.join(DOCS, `flame-${c.name}-broker.svg`),
    client: path.join(DOCS, `flame-${c.name}-client.svg`),
  };
  fs.writeFileSync(
    graphs.broker,
    renderFlameGraph(readProfileTree(busiest.file), { title: `${busiest.name} (the busiest), ${c.title}` }),
  );
  fs.writeFileSync(
    graphs.client,
    renderFlameGraph(readProfileTree(clientFile), { title: `client, ${c.title}` }),
  );
  const result = {
    name: c.name,
    description: c.title,
    figures,
    brokers: brokers.map((b) => ({ name: b.name, busyMs: b.summary.busyMs, idleMs: b.summary.idleMs })),
    busiestBroker: { name: busiest.name, ...busiest.summary },
    client: summarizeProfile(clientFile),
    flameGraphs: Object.fromEntries(Object.entries(graphs).map(([k, f]) => [k, path.relative(ROOT, f)])),
  };
  fs.rmSync(work, { recursive: true, force: true });
  return result;
}

const bar = progress(CASES.length, 'cases');
const loadBefore = os.loadavg();
const results = [];
for (const [i, c] of CASES.entries()) {
  bar.update(i, `profiling ${c.name}`);
  results.push(await profileCase(c));
}
bar.stop();
for (const r of results) {
  for (const [who, s] of [
    [`${r.busiestBroker.name}, ${r.name}`, r.busiestBroker],
    [`client, ${r.name}`, r.client],
  ]) {
    console.log(`\n${who}: ${s.busyMs} ms busy, ${s.idleMs} ms idle`);
    console.log(
      table(
        ['area', '% self'],
        s.byArea.slice(0, 10).map((a) => [a.area, a.pct]),
      ),
    );
    console.log(
      table(
        ['function (self time)', '%'],
        s.top.slice(0, 12).map((t) => [t.fn, t.pct]),
      ),
    );
  }
}
const file = writeResults('profile', results, {
  loadAverage: { before: loadBefore, after: os.loadavg() },
  scale: SCALE,
});
console.log(`results: ${path.relative(process.cwd(), file)}; flame graphs in docs/perf/`);
