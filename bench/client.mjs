// The client benchmark: `tributary perf produce` and `tributary perf consume`, the commands users
// run, as child processes against a local cluster (etcd, 1 controller, 1 broker, 1 coordinator),
// with 100 B records. Writes bench/results/client.json and prints a table.
//
//   npm run bench:client                      # 1,000,000 records per case
//   BENCH_RECORDS=200000 npm run bench:client
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, writeResults } from './lib/report.mjs';
import { warmConsumePass } from './lib/warm-consume-pass.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster } = require('../packages/test-kit/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const RECORD_SIZE = Number(process.env.BENCH_RECORD_SIZE ?? 100);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);

/** Runs `tributary ARGS --json` and returns its JSON result. */
function tributary(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
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

const cluster = await LocalCluster.start({ brokers: 1, controllers: 1, coordinators: 1 });
const bootstrap = cluster.bootstrap.join(',');
const cases = [];
try {
  const admin = new Tributary({ bootstrap: cluster.bootstrap });
  const topicFor = async (name) => {
    await admin.admin().createTopics([{ name, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    return name;
  };
  const run = async (name, args) => {
    process.stderr.write(`${name} ...\n`);
    const result = await tributary([...args, '--bootstrap', bootstrap]);
    cases.push({ name, ...result });
    process.stderr.write(
      `  ${Math.round(result.recordsPerSec).toLocaleString()} records/s, ${result.mbPerSec} MB/s\n`,
    );
  };
  const t1 = await topicFor('bench-acks1');
  const common = [
    '--num-records',
    String(RECORDS),
    '--record-size',
    String(RECORD_SIZE),
    '--throughput',
    '-1',
  ];
  await run(`produce ${RECORD_SIZE} B acks=1`, ['perf', 'produce', t1, ...common, '--acks', '1']);
  const t2 = await topicFor('bench-acksall');
  await run(`produce ${RECORD_SIZE} B acks=all`, ['perf', 'produce', t2, ...common, '--acks', 'all']);
  await run(`produce ${RECORD_SIZE} B acks=1 lz4`, [
    'perf',
    'produce',
    await topicFor('bench-lz4'),
    ...common,
    '--acks',
    '1',
    '--compression',
    'lz4',
  ]);
  await run(`consume ${RECORD_SIZE} B (assign, page cache)`, [
    'perf',
    'consume',
    t1,
    '--messages',
    String(RECORDS),
  ]);
  await run(`consume ${RECORD_SIZE} B (group)`, [
    'perf',
    'consume',
    t1,
    '--messages',
    String(RECORDS),
    '--group',
    'bench',
  ]);
  // The library in this process, warmed up: the steady-state rate of one consumer, without a
  // fresh process's JIT warm-up (the median of three passes over the same 1,000,000 records,
  // after one pass not counted: the first pass in this process is the JIT's).
  const ranges = await admin.admin().fetchTopicOffsets(t1);
  const passes = [];
  for (let i = -1; i < 3; i++) {
    const { records: n, bytes, seconds } = await warmConsumePass(admin, t1, ranges, RECORDS);
    if (i < 0) {
      process.stderr.write(
        `library consumer, warm-up pass: ${Math.round(n / seconds).toLocaleString()} records/s\n`,
      );
      continue;
    }
    passes.push({ recordsPerSec: n / seconds, mbPerSec: bytes / 2 ** 20 / seconds });
  }
  passes.sort((a, b) => a.recordsPerSec - b.recordsPerSec);
  const median = passes[1];
  cases.push({
    name: `consume ${RECORD_SIZE} B (library, warm, median of 3)`,
    records: RECORDS,
    recordsPerSec: Math.round(median.recordsPerSec * 100) / 100,
    mbPerSec: Math.round(median.mbPerSec * 100) / 100,
    passes: passes.map((p) => Math.round(p.recordsPerSec)),
    latencyMs: { avg: 0, max: 0, p50: 0, p95: 0, p99: 0, p999: 0 },
  });
  process.stderr.write(
    `library consumer, warm: ${passes.map((p) => Math.round(p.recordsPerSec).toLocaleString()).join(', ')} records/s\n`,
  );
  await admin.close();
} finally {
  await cluster.stop();
}

console.log(
  table(
    ['case', 'records', 'records/s', 'MB/s', 'avg ms', 'p50', 'p99', 'p99.9', 'max'],
    cases.map((c) => [
      c.name,
      c.records,
      Math.round(c.recordsPerSec).toLocaleString(),
      c.mbPerSec,
      c.latencyMs.avg,
      c.latencyMs.p50,
      c.latencyMs.p99,
      c.latencyMs.p999,
      c.latencyMs.max,
    ]),
  ),
);
const file = writeResults('client', cases, {
  recordSize: RECORD_SIZE,
  partitions: PARTITIONS,
  topology:
    '1 broker, 1 controller, 1 coordinator on loopback; each case a separate `tributary perf` process',
  notes:
    'produce latency = send() to acknowledgement per record chunk; consume latency = record timestamp to delivery',
});
console.log(`results: ${path.relative(ROOT, file)}`);
