// A client change measured before/after in one run (issue 19, item 3): two builds of the client,
// interleaved round by round against one cluster (etcd, a controller, three brokers), the median
// of the rounds per build and case, and each build's client CPU seconds per million records
// (GNU time). BENCH_CASES=produce (the default): `tributary perf produce` at RF=1 and RF=3.
// BENCH_CASES=consume: one topic written once (3 partitions, RF=1), then read back from the page
// cache by `tributary perf consume` (a fresh process, as bench:vs-kafka runs it) and by the
// library warmed up (bench/lib/warm-consume.mjs: one pass not counted, then BENCH_PASSES (3),
// their median per round).
//
//   BENCH_BEFORE=<dir holding clients/ts/{bin,dist,package.json} of the old build> \
//     npm run bench:client-ab                 (BENCH_ROUNDS=5, BENCH_RECORDS=1000000)
// e.g. before building the change: mkdir -p /tmp/before/clients/ts &&
//      cp -r clients/ts/{bin,dist,package.json} /tmp/before/clients/ts/
// Keep the copy outside the repository (jest would see two @tributary/client packages); it finds
// its dependencies through NODE_PATH=<repo>/node_modules, which this script sets. A change to a
// package the client depends on (@tributary/record-batch) needs a whole built checkout of the
// old code instead (`git worktree add`, its own node_modules): its client resolves its own packages.
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
  { name: 'before', client: path.resolve(BEFORE, 'clients/ts') },
  { name: 'after', client: path.join(ROOT, 'clients/ts') },
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const PASSES = Number(process.env.BENCH_PASSES ?? 3);
const WARM = path.join(ROOT, 'bench/lib/warm-consume.mjs');
const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') };
const cliOf = (build) => path.join(build.client, 'bin/tributary.js');

/** One run of a build in a case: its records/s (a median of passes for the warm consumer) and CPU. */
async function perfProduce(c, build, bootstrap) {
  const args = ['perf', 'produce', c.topic, '--num-records', String(RECORDS), '--record-size', '100'];
  args.push('--throughput', '-1', '--acks', c.acks, '--json', '--bootstrap', bootstrap);
  const run = await runMeasured(process.execPath, [cliOf(build), ...args], { env });
  return { recordsPerSec: JSON.parse(run.stdout).recordsPerSec, cpuSeconds: run.cpuSeconds };
}
async function perfConsume(c, build, bootstrap) {
  const args = [
    'perf',
    'consume',
    c.topic,
    '--messages',
    String(RECORDS),
    '--json',
    '--bootstrap',
    bootstrap,
  ];
  const run = await runMeasured(process.execPath, [cliOf(build), ...args], { env });
  return { recordsPerSec: JSON.parse(run.stdout).recordsPerSec, cpuSeconds: run.cpuSeconds };
}
async function warmConsume(c, build, bootstrap) {
  const client = path.join(build.client, 'dist/index.js');
  const args = [WARM, client, bootstrap, c.topic, String(RECORDS), String(PASSES)];
  const run = await runMeasured(process.execPath, args, { env });
  const { passes } = JSON.parse(run.stdout);
  const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    recordsPerSec: mid(passes.map((p) => p.recordsPerSec)),
    // CPU of the measured passes only (the process's own start and warm-up pass left out).
    cpuSeconds: (mid(passes.map((p) => p.cpuNsPerRecord)) * RECORDS) / 1e9,
  };
}

const CASES =
  process.env.BENCH_CASES === 'consume'
    ? [
        { name: 'consume 100 B, perf consume', topic: 'ab-consume', measure: perfConsume },
        { name: 'consume 100 B, library warm', topic: 'ab-consume', measure: warmConsume },
      ]
    : [
        {
          name: 'produce 100 B, RF=1 acks=1',
          topic: 'ab-1',
          replicationFactor: 1,
          acks: '1',
          measure: perfProduce,
        },
        {
          name: 'produce 100 B, RF=3 acks=all',
          topic: 'ab-3',
          replicationFactor: 3,
          acks: 'all',
          measure: perfProduce,
        },
      ];

const tributary = await startTributaryCluster(PORT_BASE + 600);
const { bootstrap } = tributary;
const loadBefore = os.loadavg();
const samples = new Map();
const bar = progress(ROUNDS * CASES.length * BUILDS.length, 'runs');
let done = 0;
try {
  if (process.env.BENCH_CASES === 'consume') {
    // The records every consume case reads, written once, so both builds read the same bytes.
    await tributaryTools({ bootstrap }).createTopic('ab-consume', 3, 1);
    await perfProduce({ topic: 'ab-consume', acks: '1' }, BUILDS[1], bootstrap);
  } else {
    for (const c of CASES) await tributaryTools({ bootstrap }).createTopic(c.topic, 3, c.replicationFactor);
  }
  for (const c of CASES) {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which build goes first, so neither always runs on a warmer page cache.
      const order = round % 2 === 0 ? BUILDS : [...BUILDS].reverse();
      for (const build of order) {
        bar.update(done++, `${c.name}, round ${round + 1}/${ROUNDS}, ${build.name}`);
        const sample = await c.measure(c, build, bootstrap);
        const key = `${c.name}|${build.name}`;
        const list = samples.get(key) ?? [];
        list.push(sample);
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
