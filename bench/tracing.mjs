// The cost of tracing (issue 14): produce and consume throughput with tracing off, on at 1 %
// sampling and on at 100 %, side by side in one run against one local cluster (etcd, 1
// controller, 1 broker, 1 coordinator). Each case runs `tributary perf produce` then `tributary
// perf consume --group` as child processes with its OTEL_* environment: off = no OTEL_* at all;
// 1 % = parentbased_traceidratio 0.01; 100 % = always_on. The services export too (they follow
// the producer's decision: parentbased_always_off for their own roots). Spans go over OTLP/HTTP
// to a sink in this process that reads and drops them, so the figures are our cost, not a
// collector's. Rounds interleave the cases, and each round starts with a different one, so slow
// drift of a shared machine's load falls on every case alike. Each case's ratio is the median,
// over rounds, of its throughput divided by the same round's tracing-off throughput. The load
// average is printed and recorded before and after the run. Besides records/s it records CPU
// per record: the client's (`cpuMs` of `perf --json`) and the broker's (from /proc/<pid>/stat
// around each run), steadier than throughput on a shared machine; cost = CPU ratio − 1.
// Writes bench/results/tracing.json. Goal: 1 % costs at most 3 %.
//
// BENCH_COMPARE=<dir> adds the same three cases run with the client of another built checkout
// (e.g. the commit before a change: `git archive <commit> | tar -x -C <dir>`, copy node_modules
// and the generated proto types, `npx tsc -b clients/ts`), interleaved in the same rounds, so a
// before/after comparison sees the same machine load. Its ratios are against its own `off`.
//
//   npm run bench:tracing
//   BENCH_RECORDS=100000 BENCH_ROUNDS=3 npm run bench:tracing
//   BENCH_COMPARE=/tmp/before npm run bench:tracing
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster } = require('../packages/test-kit/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const RECORD_SIZE = 100;
const PARTITIONS = 6;

// The OTLP sink: counts spans' bytes, answers 200 like a collector.
let exportedBytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (d) => {
    exportedBytes += d.length;
  });
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${sink.address().port}`;

const SAMPLING = [
  { name: 'off', env: {} },
  {
    name: '1%',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    },
  },
  { name: '100%', env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_TRACES_SAMPLER: 'always_on' } },
];
const COMPARE = process.env.BENCH_COMPARE;
const MODES = SAMPLING.map((m) => ({ ...m, bin: BIN, baseline: 'off' }));
if (COMPARE !== undefined) {
  const bin = path.join(path.resolve(COMPARE), 'clients/ts/bin/tributary.js');
  for (const m of SAMPLING) MODES.push({ ...m, name: `${m.name} (compare)`, bin, baseline: 'off (compare)' });
}

function perf(bin, args, env) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...clean, OTEL_SERVICE_NAME: 'bench-tracing', ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`tributary ${args.join(' ')} exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

const cluster = await LocalCluster.start({
  brokers: 1,
  env: {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    OTEL_TRACES_SAMPLER: 'parentbased_always_off',
  },
});
const bootstrap = cluster.bootstrap.join(',');
const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const loadBefore = load();
process.stderr.write(`load average before: ${loadBefore.join(', ')}\n`);
/** CPU ms a process has used (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
const cpuMsOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const brokerPid = cluster.brokers[0].process.pid;
const OPS = ['produce', 'consume'];
const runs = Object.fromEntries(
  MODES.map((m) => [
    m.name,
    {
      produce: [],
      consume: [],
      bytes: [],
      cpu: { produce: [], consume: [] },
      brokerCpu: { produce: [], consume: [] },
    },
  ]),
);
try {
  const client = new Tributary({ bootstrap: cluster.bootstrap });
  const admin = client.admin();
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order: round 1 runs off, 1 %, 100 %; round 2 runs 1 %, 100 %, off; ...
    const order = MODES.map((_, i) => MODES[(i + round - 1) % MODES.length]);
    for (const mode of order) {
      const topic = `bench-tracing-${round}-${mode.name.replace('%', 'pct').replace(/\W+/g, '-')}`;
      await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      const before = exportedBytes;
      process.stderr.write(`round ${round}/${ROUNDS}, tracing ${mode.name}: produce ...`);
      const brokerBefore = cpuMsOf(brokerPid);
      const produced = await perf(
        mode.bin,
        [
          'perf',
          'produce',
          topic,
          '--num-records',
          String(RECORDS),
          '--record-size',
          String(RECORD_SIZE),
        ].concat(['--throughput', '-1', '--acks', '1', '--bootstrap', bootstrap]),
        mode.env,
      );
      process.stderr.write(` ${Math.round(produced.recordsPerSec).toLocaleString()}/s; consume ...`);
      const brokerBetween = cpuMsOf(brokerPid);
      const consumed = await perf(
        mode.bin,
        [
          'perf',
          'consume',
          topic,
          '--messages',
          String(RECORDS),
          '--group',
          `g-${topic}`,
          '--bootstrap',
          bootstrap,
        ],
        mode.env,
      );
      process.stderr.write(` ${Math.round(consumed.recordsPerSec).toLocaleString()}/s\n`);
      const brokerAfter = cpuMsOf(brokerPid);
      const r = runs[mode.name];
      r.produce.push(produced.recordsPerSec);
      r.consume.push(consumed.recordsPerSec);
      // µs of CPU per record: client process, broker process.
      r.cpu.produce.push((produced.cpuMs * 1000) / RECORDS);
      r.cpu.consume.push((consumed.cpuMs * 1000) / RECORDS);
      r.brokerCpu.produce.push(((brokerBetween - brokerBefore) * 1000) / RECORDS);
      r.brokerCpu.consume.push(((brokerAfter - brokerBetween) * 1000) / RECORDS);
      runs[mode.name].bytes.push(exportedBytes - before);
    }
  }
  await client.close();
} finally {
  await cluster.stop();
  sink.close();
}

const loadAfter = load();
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const cases = [];
const round3 = (x) => Math.round(x * 1000) / 1000;
for (const mode of MODES) {
  for (const op of OPS) {
    const r = runs[mode.name];
    const base = runs[mode.baseline];
    const rounds = r[op];
    const ratios = rounds.map((rps, i) => rps / base[op][i]);
    const cpuRatios = r.cpu[op].map((c, i) => c / base.cpu[op][i]);
    cases.push({
      name: `${op} ${RECORD_SIZE} B, tracing ${mode.name}`,
      recordsPerSec: Math.round(median(rounds)),
      rounds: rounds.map(Math.round),
      otlpBytesPerRound: median(runs[mode.name].bytes),
      baseline: `${op} ${RECORD_SIZE} B, tracing ${mode.baseline}`,
      ratio: round3(median(ratios)),
      roundRatios: ratios.map(round3),
      clientCpuUsPerRecord: round3(median(r.cpu[op])),
      clientCpuRatio: round3(median(cpuRatios)),
      roundClientCpuRatios: cpuRatios.map(round3),
      brokerCpuUsPerRecord: round3(median(r.brokerCpu[op])),
    });
  }
}
console.log(
  table(
    [
      'case',
      'records/s (median)',
      'vs off (median of rounds)',
      'client CPU µs/record',
      'client CPU vs off',
      'broker CPU µs/record',
      'rounds (records/s)',
      'OTLP bytes/round',
    ],
    cases.map((c) => [
      c.name,
      c.recordsPerSec.toLocaleString(),
      `${(c.ratio * 100).toFixed(1)} %`,
      c.clientCpuUsPerRecord.toFixed(2),
      `${(c.clientCpuRatio * 100).toFixed(1)} %`,
      c.brokerCpuUsPerRecord.toFixed(2),
      c.rounds.join(', '),
      c.otlpBytesPerRound.toLocaleString(),
    ]),
  ),
);
console.log(`load average before: ${loadBefore.join(', ')}; after: ${loadAfter.join(', ')}`);
writeResults('tracing', cases, {
  records: RECORDS,
  rounds: ROUNDS,
  ...(COMPARE === undefined ? {} : { compare: path.resolve(COMPARE) }),
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadAfter,
  goal: '1% sampling costs at most 3%',
});
