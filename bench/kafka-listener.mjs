// Kafka listener benchmark (performance item 4): Kafka's own ProducerPerformance and
// ConsumerPerformance (the Java tools behind kafka-producer-perf-test / kafka-consumer-perf-test,
// Maven artifacts in .tools/kafka/libs as resolved by `npm run test:kafka-compat`) against the
// brokers' Kafka listeners, beside `tributary perf produce` / `tributary perf consume` over gRPC
// (the baseline) against the same cluster in the same run.
//
//   npm run bench:kafka-listener      (BENCH_RECORDS=200000 for a quicker run; BENCH_RF=3 for one
//                                      replication factor; BENCH_RESULTS=0 writes no results file)
//
// Cases: 100 B records, the same count for both, RF=1 acks=1 and RF=3 acks=all, one partition,
// the same batching (batch.size 64 KiB, linger.ms 5: the Tributary client's defaults). Consumers read in a group from the beginning; the
// figure for ConsumerPerformance is its fetch rate (fetch.nMsg.sec: join time left out), and
// `tributary perf consume` starts its clock after subscribing, so both measure fetching alone.
// ratio = listener / gRPC records per second (goal: >= 0.8).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress, table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { Tributary } = require('../clients/ts/dist/index.js');
const { LocalCluster } = require('../packages/test-kit/dist/index.js');

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const LIBS = path.join(ROOT, '.tools/kafka/libs');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const RECORD_SIZE = 100;
// BENCH_RF=3 runs only that replication factor (e.g. under NODE_OPTIONS=--cpu-prof).
// The same flags mean the same thing to ProducerPerformance and `tributary perf produce`.
const PERF_FLAGS = [
  '--num-records',
  String(RECORDS),
  '--record-size',
  String(RECORD_SIZE),
  '--throughput',
  '-1',
];
const SETUPS = [
  { name: 'RF=1 acks=1', rf: 1, acks: '1' },
  { name: 'RF=3 acks=all', rf: 3, acks: 'all' },
].filter((s) => process.env.BENCH_RF === undefined || String(s.rf) === process.env.BENCH_RF);

if (!existsSync(LIBS)) {
  console.error(
    "bench:kafka-listener needs Kafka's tools: run `npm run test:kafka-compat` once (it resolves .tools/kafka/libs)",
  );
  process.exit(1);
}

/** Runs a command to its end; resolves its stdout, rejects with its stderr tail. */
function runTool(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new Error(
              `${path.basename(command)} ${args.slice(0, 6).join(' ')} exited ${code}:\n${err.slice(-2000)}${out.slice(-1000)}`,
            ),
          ),
    );
  });
}

const java = (mainClass, args) =>
  runTool('java', [
    '-Xmx512m',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    `${LIBS}/*`,
    mainClass,
    ...args,
  ]);
const tributaryCli = async (args) => JSON.parse(await runTool(process.execPath, [BIN, ...args, '--json']));

/** ProducerPerformance's summary line: "N records sent, R records/sec (M MB/sec), A ms avg latency, ..., P ms 99th, ...". */
function parseProducerPerformance(out) {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.includes('records sent'));
  const m =
    line &&
    /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?([\d.]+) ms 99th/.exec(line);
  if (!m) throw new Error(`no summary in ProducerPerformance output:\n${out.slice(-1000)}`);
  return {
    recordsPerSec: Number(m[1]),
    mbPerSec: Number(m[2]),
    avgLatencyMs: Number(m[3]),
    p99LatencyMs: Number(m[4]),
  };
}

/** ConsumerPerformance's CSV: header then values; fetch.nMsg.sec and fetch.MB.sec leave out the group join. */
function parseConsumerPerformance(out) {
  const lines = out
    .trim()
    .split('\n')
    .filter((l) => l.includes(','));
  const head = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  if (head < 0 || !lines[head + 1])
    throw new Error(`no result in ConsumerPerformance output:\n${out.slice(-1000)}`);
  const names = lines[head].split(',').map((s) => s.trim());
  const values = lines[head + 1].split(',').map((s) => s.trim());
  const get = (n) => Number(values[names.indexOf(n)]);
  return {
    recordsPerSec: get('fetch.nMsg.sec'),
    mbPerSec: get('fetch.MB.sec'),
    records: get('data.consumed.in.nMsg'),
  };
}

async function main() {
  const loadBefore = os.loadavg();
  const bar = progress(SETUPS.length * 4, 'steps');
  const cluster = await LocalCluster.start({
    brokers: 3,
    controllers: 1,
    coordinators: 1,
    kafka: true,
    extraArgs: {
      broker: ['--log.level', 'warn', ...(process.env.BENCH_BROKER_ARGS ?? '').split(' ').filter(Boolean)],
    },
  });
  const admin = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'bench-kafka-listener' });
  const kafkaBootstrap = cluster.kafkaBootstrap.join(',');
  const grpcBootstrap = cluster.bootstrap.join(',');
  const cases = [];
  let step = 0;
  try {
    for (const setup of SETUPS) {
      const tag = setup.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
      const kafkaTopic = `bench-kafka-${tag}-${Date.now().toString(36)}`;
      const grpcTopic = `bench-grpc-${tag}-${Date.now().toString(36)}`;
      await admin.admin().createTopics([
        { name: kafkaTopic, numPartitions: 1, replicationFactor: setup.rf },
        { name: grpcTopic, numPartitions: 1, replicationFactor: setup.rf },
      ]);

      bar.update(step, `${setup.name}: Kafka ProducerPerformance`);
      const kProduce = parseProducerPerformance(
        await java('org.apache.kafka.tools.ProducerPerformance', [
          '--topic',
          kafkaTopic,
          ...PERF_FLAGS,
          '--producer-props',
          `bootstrap.servers=${kafkaBootstrap}`,
          `acks=${setup.acks}`,
          // The Tributary client's defaults (Kafka's own are 16 KiB), so both send the same batches.
          'batch.size=65536',
          'linger.ms=5',
        ]),
      );
      bar.update(++step, `${setup.name}: tributary perf produce`);
      const gProduce = await tributaryCli([
        'perf',
        'produce',
        grpcTopic,
        ...PERF_FLAGS,
        '--acks',
        setup.acks,
        '--bootstrap',
        grpcBootstrap,
      ]);
      bar.update(++step, `${setup.name}: Kafka ConsumerPerformance`);
      const kConsume = parseConsumerPerformance(
        await java('org.apache.kafka.tools.ConsumerPerformance', [
          '--bootstrap-server',
          kafkaBootstrap,
          '--topic',
          kafkaTopic,
          '--messages',
          String(RECORDS),
          '--group',
          `bench-${kafkaTopic}`,
          '--timeout',
          '120000',
        ]),
      );
      if (kConsume.records < RECORDS)
        throw new Error(`ConsumerPerformance read ${kConsume.records} of ${RECORDS}`);
      bar.update(++step, `${setup.name}: tributary perf consume`);
      const gConsume = await tributaryCli([
        'perf',
        'consume',
        grpcTopic,
        '--messages',
        String(RECORDS),
        '--group',
        `bench-${grpcTopic}`,
        '--timeout-ms',
        '120000',
        '--bootstrap',
        grpcBootstrap,
      ]);
      bar.update(++step, setup.name);
      for (const [kind, k, g] of [
        ['produce', kProduce, gProduce],
        ['consume', kConsume, gConsume],
      ]) {
        cases.push({
          name: `${kind} ${setup.name}, ${RECORD_SIZE} B, ${RECORDS} records`,
          kind,
          replicationFactor: setup.rf,
          acks: setup.acks,
          records: RECORDS,
          recordSize: RECORD_SIZE,
          recordsPerSec: k.recordsPerSec,
          mbPerSec: k.mbPerSec,
          ...(k.p99LatencyMs === undefined
            ? {}
            : { avgLatencyMs: k.avgLatencyMs, p99LatencyMs: k.p99LatencyMs }),
          baseline: {
            name: `tributary perf ${kind} (gRPC)`,
            recordsPerSec: g.recordsPerSec,
            mbPerSec: g.mbPerSec,
            ...(kind === 'produce' ? { avgLatencyMs: g.latencyMs.avg, p99LatencyMs: g.latencyMs.p99 } : {}),
          },
          ratio: Math.round((k.recordsPerSec / g.recordsPerSec) * 1000) / 1000,
        });
      }
    }
  } finally {
    bar.stop();
    await admin.close();
    await cluster.stop();
  }

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(
    table(
      ['case', 'Kafka tool via listener rec/s', 'tributary perf via gRPC rec/s', 'listener/gRPC'],
      cases.map((c) => [c.name, fmt(c.recordsPerSec), fmt(c.baseline.recordsPerSec), c.ratio.toFixed(2)]),
    ),
  );
  if (process.env.BENCH_RESULTS === '0') return;
  const file = writeResults('kafka-listener', cases, {
    loadAverage: { before: loadBefore, after: os.loadavg() },
    settings: { records: RECORDS, recordSize: RECORD_SIZE, partitions: 1, goal: 'ratio >= 0.8' },
  });
  console.log(`results: ${path.relative(ROOT, file)}`);
}

await main();
