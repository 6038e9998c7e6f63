// The cost of tracing (issue 14): produce and consume throughput with tracing off, on at 1 %
// sampling and on at 100 %, side by side in one run against one local cluster (etcd, 1
// controller, 1 broker, 1 coordinator). Each case runs `tributary perf produce` then `tributary
// perf consume --group` as child processes with its OTEL_* environment: off = no OTEL_* at all;
// 1 % = parentbased_traceidratio 0.01; 100 % = always_on. The services export too (they follow
// the producer's decision: parentbased_always_off for their own roots). Spans go over OTLP/HTTP
// to a sink in this process that reads and drops them, so the figures are our cost, not a
// collector's. Rounds interleave the cases; the table shows the median of the rounds.
// Writes bench/results/tracing.json. Goal: 1 % costs at most 3 %.
//
//   npm run bench:tracing
//   BENCH_RECORDS=100000 BENCH_ROUNDS=3 npm run bench:tracing
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster } = require('../packages/test-kit/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

const MODES = [
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

function perf(args, env) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {
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
const runs = Object.fromEntries(MODES.map((m) => [m.name, { produce: [], consume: [], bytes: [] }]));
try {
  const client = new Tributary({ bootstrap: cluster.bootstrap });
  const admin = client.admin();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of MODES) {
      const topic = `bench-tracing-${round}-${mode.name.replace('%', 'pct')}`;
      await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
      const before = exportedBytes;
      process.stderr.write(`round ${round}/${ROUNDS}, tracing ${mode.name}: produce ...`);
      const produced = await perf(
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
      const consumed = await perf(
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
      runs[mode.name].produce.push(produced.recordsPerSec);
      runs[mode.name].consume.push(consumed.recordsPerSec);
      runs[mode.name].bytes.push(exportedBytes - before);
    }
  }
  await client.close();
} finally {
  await cluster.stop();
  sink.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = { produce: median(runs.off.produce), consume: median(runs.off.consume) };
const cases = [];
for (const mode of MODES) {
  for (const op of ['produce', 'consume']) {
    const rps = median(runs[mode.name][op]);
    cases.push({
      name: `${op} ${RECORD_SIZE} B, tracing ${mode.name}`,
      recordsPerSec: Math.round(rps),
      rounds: runs[mode.name][op].map(Math.round),
      otlpBytesPerRound: median(runs[mode.name].bytes),
      baseline: `${op} ${RECORD_SIZE} B, tracing off`,
      ratio: Math.round((rps / base[op]) * 1000) / 1000,
    });
  }
}
console.log(
  table(
    ['case', 'records/s (median)', 'vs off', 'rounds', 'OTLP bytes/round'],
    cases.map((c) => [
      c.name,
      c.recordsPerSec.toLocaleString(),
      `${(c.ratio * 100).toFixed(1)} %`,
      c.rounds.join(', '),
      c.otlpBytesPerRound.toLocaleString(),
    ]),
  ),
);
writeResults('tracing', cases, { records: RECORDS, rounds: ROUNDS, goal: '1% sampling costs at most 3%' });
