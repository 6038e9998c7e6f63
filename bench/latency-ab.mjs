// The end-to-end latency case of bench:vs-kafka (100 B records at 5,000 records/s through
// bench/lib/e2e-at-rate.mjs, a one-partition topic, untraced) for several variants interleaved
// round by round, a fresh cluster per run: the way to tell whether a change moves the p99.
//
//   BENCH_VARIANTS='[{"name":"base"},{"name":"x","serviceFlags":"--single-threaded-gc"}]' \
//     node bench/latency-ab.mjs          (BENCH_ROUNDS=3, BENCH_E2E_SECONDS=8, BENCH_RF=3)
//
// A variant may set `root` (a copy of the repository with its own build: its services, client
// and e2e program are run), `serviceFlags` (Node flags of every service process),
// `clientFlags` (Node flags of the e2e program), `env` (extra environment of the services and
// the program; BENCH_E2E_PRODUCER there sets producer options) and `warmupSeconds` (1, as in
// bench:vs-kafka: the seconds of records left out before the SECONDS - 1 measured).
// Ports BENCH_PORT_BASE (42000) + 700..799 on 127.0.0.1.
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eArgs } from './lib/e2e-protocol.mjs';
import { cpuSeconds, machineCpu, runMeasured } from './lib/proc-usage.mjs';
import { progress, table, writeResults } from './lib/report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VARIANTS = JSON.parse(process.env.BENCH_VARIANTS ?? '[{"name":"this build"}]');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 8);
const RF = Number(process.env.BENCH_RF ?? 3);
const RECORD_SIZE = Number(process.env.BENCH_RECORD_SIZE ?? 100);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const RATE = 5000;

async function runOnce(variant) {
  const warmupSeconds = variant.warmupSeconds ?? 1;
  const root = path.resolve(variant.root ?? ROOT);
  const { startTributaryCluster } = await import(path.join(root, 'bench/lib/tributary-cluster.mjs'));
  const { tributaryTools } = await import(path.join(root, 'bench/lib/tributary-perf.mjs'));
  const flagsBefore = process.env.TRIBUTARY_SERVICE_NODE_FLAGS;
  process.env.TRIBUTARY_SERVICE_NODE_FLAGS = variant.serviceFlags ?? '';
  const env = { ...process.env, ...(variant.env ?? {}) };
  delete env.TRIBUTARY_SERVICE_NODE_FLAGS;
  const cluster = await startTributaryCluster(PORT_BASE + 700, { env });
  if (flagsBefore === undefined) delete process.env.TRIBUTARY_SERVICE_NODE_FLAGS;
  else process.env.TRIBUTARY_SERVICE_NODE_FLAGS = flagsBefore;
  try {
    const { bootstrap } = cluster;
    const topic = `ab-${RF}`;
    await tributaryTools({ bootstrap }).createTopic(topic, 1, RF);
    const pids = cluster.serverPids();
    const cpuBefore = pids.map(cpuSeconds);
    const load = os.loadavg()[0];
    const machine = machineCpu();
    machine.start();
    const run = await runMeasured(
      process.execPath,
      [
        ...(variant.clientFlags ?? '').split(' ').filter(Boolean),
        path.join(root, 'bench/lib/e2e-at-rate.mjs'),
        ...e2eArgs({
          bootstrap,
          topic,
          // Every variant measures SECONDS - 1 seconds of records after its warm-up.
          records: RATE * (SECONDS - 1 + warmupSeconds),
          recordSize: RECORD_SIZE,
          rate: RATE,
          acks: RF === 1 ? '1' : 'all',
          warmup: RATE * warmupSeconds,
        }),
      ],
      { env: { ...process.env, ...(variant.env ?? {}) } },
    );
    const servers = pids.map((pid, i) => cpuSeconds(pid) - cpuBefore[i]);
    const { busySeconds, stealSeconds } = machine.finish();
    return {
      ...JSON.parse(run.stdout.trim().split('\n').pop()),
      loadAverage: load,
      cpuSeconds: {
        client: run.cpuSeconds,
        servers: servers.reduce((a, b) => a + b, 0),
        // Every process on the machine: what else ran beside the case is this minus the two above.
        machine: busySeconds,
        stolen: stealSeconds,
      },
    };
  } finally {
    await cluster.stop();
  }
}

const loadBefore = os.loadavg();
const runs = new Map(VARIANTS.map((v) => [v.name, []]));
const bar = progress(ROUNDS * VARIANTS.length, 'runs');
let done = 0;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const v of order) {
    bar.update(done++, `round ${round + 1}/${ROUNDS}, ${v.name}`);
    runs.get(v.name).push(await runOnce(v));
  }
}
bar.stop();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const rows = VARIANTS.map((v) => {
  const r = runs.get(v.name);
  return [
    v.name,
    f(median(r.map((x) => x.p50Ms))),
    f(median(r.map((x) => x.p99Ms))),
    f(median(r.map((x) => x.p999Ms))),
    r.map((x) => f(x.p99Ms, 1)).join(', '),
    f(median(r.map((x) => x.cpuSeconds.servers)), 1),
    f(median(r.map((x) => x.cpuSeconds.client)), 1),
    r.map((x) => f(x.cpuSeconds.machine - x.cpuSeconds.servers - x.cpuSeconds.client, 1)).join(', '),
    r.map((x) => f(x.cpuSeconds.stolen, 1)).join(', '),
    r.map((x) => f(x.loadAverage, 1)).join(', '),
  ];
});
console.log(
  `end-to-end ${RECORD_SIZE} B, RF=${RF}, ${RATE} records/s, ${SECONDS} s per run, ${ROUNDS} rounds (medians)`,
);
console.log(
  table(
    [
      'variant',
      'p50 ms',
      'p99 ms',
      'p999 ms',
      'p99 of each round',
      'CPU s servers',
      'CPU s client',
      'CPU s of others, each round',
      'CPU s stolen, each round',
      'load (1 min)',
    ],
    rows,
  ),
);
const file = writeResults(
  'latency-ab',
  VARIANTS.map((v) => ({ ...v, runs: runs.get(v.name) })),
  {
    loadAverage: { before: loadBefore, after: os.loadavg() },
    settings: {
      rounds: ROUNDS,
      seconds: SECONDS,
      rate: RATE,
      recordSize: RECORD_SIZE,
      replicationFactor: RF,
    },
  },
);
console.log(`results: ${path.relative(process.cwd(), file)}`);
