// A client change measured before/after in one run (issue 19, item 3): `tributary perf produce`
// from two builds of the client, interleaved round by round against one cluster (etcd, a
// controller, three brokers), the median of the rounds per build and case, and each build's
// client CPU seconds per million records (GNU time).
//
//   BENCH_BEFORE=<dir holding clients/ts/{bin,dist,package.json} of the old build> \
//     npm run bench:client-ab                 (BENCH_ROUNDS=5, BENCH_RECORDS=1000000)
// e.g. before building the change: mkdir -p /tmp/before/clients/ts &&
//      cp -r clients/ts/{bin,dist,package.json} /tmp/before/clients/ts/
// Keep the copy outside the repository (jest would see two @tributary/client packages); it finds
// its dependencies through NODE_PATH=<repo>/node_modules, which this script sets.
// Ports BENCH_PORT_BASE (42000) + 600..699 on 127.0.0.1.
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './lib/proc-usage.mjs';
import { progress, table, writeResults } from './lib/report.mjs';
import { startTributaryCluster } from './lib/tributary-cluster.mjs';
import { tributaryTools } from './lib/tributary-perf.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BEFORE = process.env.BENCH_BEFORE;
if (!BEFORE) {
  console.error(
    'BENCH_BEFORE is not set: point it at a copy of the old build (see the top of bench/client-ab.mjs)',
  );
  process.exit(2);
}
const BUILDS = [
  { name: 'before', cli: path.resolve(BEFORE, 'clients/ts/bin/tributary.js') },
  { name: 'after', cli: path.join(ROOT, 'clients/ts/bin/tributary.js') },
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const CASES = [
  { name: 'produce 100 B, RF=1 acks=1', replicationFactor: 1, acks: '1' },
  { name: 'produce 100 B, RF=3 acks=all', replicationFactor: 3, acks: 'all' },
];

const tributary = await startTributaryCluster(PORT_BASE + 600);
const { bootstrap } = tributary;
const loadBefore = os.loadavg();
const samples = new Map();
const bar = progress(ROUNDS * CASES.length * BUILDS.length, 'runs');
let done = 0;
try {
  for (const c of CASES) {
    const topic = `ab-${c.replicationFactor}`;
    await tributaryTools({ bootstrap }).createTopic(topic, 3, c.replicationFactor);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which build goes first, so neither always runs on a warmer page cache.
      const order = round % 2 === 0 ? BUILDS : [...BUILDS].reverse();
      for (const build of order) {
        bar.update(done++, `${c.name}, round ${round + 1}/${ROUNDS}, ${build.name}`);
        const run = await runMeasured(
          process.execPath,
          [
            build.cli,
            'perf',
            'produce',
            topic,
            '--num-records',
            String(RECORDS),
            '--record-size',
            '100',
            '--throughput',
            '-1',
            '--acks',
            c.acks,
            '--json',
            '--bootstrap',
            bootstrap,
          ],
          { env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } },
        );
        const key = `${c.name}|${build.name}`;
        const list = samples.get(key) ?? [];
        list.push({ recordsPerSec: JSON.parse(run.stdout).recordsPerSec, cpuSeconds: run.cpuSeconds });
        samples.set(key, list);
      }
    }
  }
} finally {
  bar.stop();
  await tributary.stop();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const cases = [];
const rows = [];
for (const c of CASES) {
  const of = (build) => {
    const list = samples.get(`${c.name}|${build}`);
    return {
      recordsPerSec: median(list.map((s) => s.recordsPerSec)),
      clientCpuSecondsPerMillion: median(list.map((s) => s.cpuSeconds)) / (RECORDS / 1e6),
      rounds: list.map((s) => Math.round(s.recordsPerSec)),
    };
  };
  const before = of('before');
  const after = of('after');
  const ratio = after.recordsPerSec / before.recordsPerSec;
  cases.push({ name: c.name, ...after, baseline: before, ratio });
  rows.push([
    c.name,
    Math.round(before.recordsPerSec).toLocaleString('en-US'),
    Math.round(after.recordsPerSec).toLocaleString('en-US'),
    ratio.toFixed(2),
    before.clientCpuSecondsPerMillion.toFixed(2),
    after.clientCpuSecondsPerMillion.toFixed(2),
  ]);
}
console.log(
  table(
    [
      'case (median of rounds)',
      'before rec/s',
      'after rec/s',
      'after/before',
      'before client CPU s/M',
      'after client CPU s/M',
    ],
    rows,
  ),
);
const file = writeResults('client-ab', cases, {
  loadAverage: { before: loadBefore, after: os.loadavg() },
  settings: { rounds: ROUNDS, records: RECORDS, partitions: 3, recordSize: 100 },
});
console.log(
  `results: ${path.relative(process.cwd(), file)}; load average (1 min) before/after ${loadBefore[0].toFixed(1)}/${os.loadavg()[0].toFixed(1)}`,
);
