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
