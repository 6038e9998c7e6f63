// Tributary beside Apache Kafka on this machine (issue 19): the same cases, each system with its
// own tools, never both loaded at once.
//
//   npm run bench:vs-kafka            (~10 min here; BENCH_SCALE=4 for four times the records,
//                                      BENCH_SYSTEMS=tributary to run one side only,
//                                      BENCH_E2E_SECONDS=20 for longer latency runs,
//                                      BENCH_KINDS=consume for the consume cases only: each with
//                                      the one-producer RF=1 produce case it reads; results in
//                                      bench/results/vs-kafka-consume.json)
//
// Kafka: the version pinned in test/kafka-compat/java/pom.xml, resolved with Maven into
// .tools/kafka/libs; three combined KRaft nodes (bench/lib/kafka-cluster.mjs); its
// ProducerPerformance and ConsumerPerformance, and bench/java/EndToEndAtRate.java for latency
// at a rate. Then Tributary: etcd, a controller and three brokers (LocalCluster); `tributary perf
// produce|consume` and bench/lib/e2e-at-rate.mjs. Each system runs with its defaults. Ports
// BENCH_PORT_BASE (42000) + 100..199 for Kafka, + 300..399 for Tributary, on 127.0.0.1.
// Kafka is the baseline of every case: ratio = Tributary / Kafka for throughput, and
// Kafka / Tributary for latency, so a ratio above 1 always means Tributary did better.
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureKafkaJars, kafkaVersion } from '../scripts/lib/kafka-jars.mjs';
import { startKafkaCluster } from './lib/kafka-cluster.mjs';
import { kafkaTools } from './lib/kafka-perf.mjs';
import { progress, table, writeResults } from './lib/report.mjs';
import { startTributaryCluster } from './lib/tributary-cluster.mjs';
import { tributaryTools } from './lib/tributary-perf.mjs';
import { planCases, runCases } from './lib/vs-kafka-cases.mjs';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const SYSTEMS = (process.env.BENCH_SYSTEMS ?? 'kafka,tributary').split(',');
const SIZES = (process.env.BENCH_SIZES ?? '100,1024').split(',').map(Number);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 3);
const RATE = 5000;
const E2E_SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 8);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
/** Records of a one-producer run: a few seconds of sending for either system here. */
const recordsFor = (size) => Math.round((size <= 100 ? 1_000_000 : 200_000) * SCALE);

const KINDS = process.env.BENCH_KINDS?.split(',');
const planned = planCases({
  sizes: SIZES,
  recordsFor,
  partitions: PARTITIONS,
  rate: RATE,
  e2eSeconds: E2E_SECONDS,
  warmup: RATE,
});
const kept = new Set(planned.filter((c) => KINDS === undefined || KINDS.includes(c.kind)).map((c) => c.name));
for (const c of planned) if (kept.has(c.name) && c.readsFrom !== undefined) kept.add(c.readsFrom);
const cases = planned.filter((c) => kept.has(c.name));
const bar = progress(cases.length * SYSTEMS.length, 'cases');
let done = 0;
const onCase = (system) => (c) => bar.update(done++, `${system}: ${c.name}`);
const loadBefore = os.loadavg();
const measured = {};

if (SYSTEMS.includes('kafka')) {
  bar.update(done, 'Kafka: resolving jars and starting three KRaft nodes');
  const libs = ensureKafkaJars();
  const kafka = await startKafkaCluster({
    libs,
    brokerPorts: [1, 2, 3].map((i) => PORT_BASE + 100 + i),
    controllerPorts: [1, 2, 3].map((i) => PORT_BASE + 110 + i),
  });
  try {
    measured.kafka = await runCases({
      tools: kafkaTools({ libs, bootstrap: kafka.bootstrap }),
      serverPids: kafka.pids,
      cases,
      onCase: onCase('Kafka'),
    });
  } finally {
    await kafka.stop();
  }
}

if (SYSTEMS.includes('tributary')) {
  bar.update(done, 'Tributary: starting etcd, a controller and three brokers');
  const tributary = await startTributaryCluster(PORT_BASE + 300);
  try {
    measured.tributary = await runCases({
      tools: tributaryTools({ bootstrap: tributary.bootstrap }),
      serverPids: tributary.serverPids(),
      cases,
      onCase: onCase('Tributary'),
    });
  } finally {
    await tributary.stop();
  }
}
bar.stop();

// --- report ---------------------------------------------------------------------------------
const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '-';
const ratioOf = (ours, theirs, higherIsBetter) =>
  Number.isFinite(ours) && Number.isFinite(theirs) && ours > 0 && theirs > 0
    ? higherIsBetter
      ? ours / theirs
      : theirs / ours
    : undefined;
const rows = [];
const results = cases.map((c) => {
  const k = measured.kafka?.get(c.name);
  const t = measured.tributary?.get(c.name);
  const usage = (x) => [fmt(x?.cpuSeconds.total, 1), fmt(x?.peakRssMiB.servers), fmt(x?.peakRssMiB.clients)];
  const describe = { name: c.name, kind: c.kind, recordSize: c.recordSize, records: c.records };
  if (c.setup) Object.assign(describe, { replicationFactor: c.setup.replicationFactor, acks: c.setup.acks });
  if (c.kind === 'produce') describe.producers = c.producers;
  if (c.kind === 'end-to-end') {
    const ratio = Object.fromEntries(
      ['p50', 'p99', 'p999'].map((p) => [p, ratioOf(t?.[`${p}Ms`], k?.[`${p}Ms`], false)]),
    );
    for (const p of ['p50', 'p99', 'p999']) {
      rows.push([
        `${c.name} ${p} ms`,
        fmt(k?.[`${p}Ms`], 2),
        fmt(t?.[`${p}Ms`], 2),
        fmt(ratio[p], 2),
        ...(p === 'p50' ? [...usage(k), ...usage(t)] : ['', '', '', '', '', '']),
      ]);
    }
    return { ...describe, rate: c.rate, ...t, baseline: k, ratio };
  }
  const ratio = ratioOf(t?.recordsPerSec, k?.recordsPerSec, true);
  rows.push([
    `${c.name} records/s`,
    fmt(k?.recordsPerSec),
    fmt(t?.recordsPerSec),
    fmt(ratio, 2),
    ...usage(k),
    ...usage(t),
  ]);
  return { ...describe, ...t, baseline: k, ratio };
});
console.log(
  table(
    [
      'case',
      'Kafka',
      'Tributary',
      'ratio',
      'Kafka CPU s',
      'Kafka srv MiB',
      'Kafka cli MiB',
      'Trib. CPU s',
      'Trib. srv MiB',
      'Trib. cli MiB',
    ],
    rows,
  ),
);
const loadAfter = os.loadavg();
console.log(
  'ratio > 1 means Tributary did better: Tributary / Kafka for records/s, Kafka / Tributary for latency. CPU s: servers + clients; MiB: peak RSS summed over the servers and over the client processes.',
);
const file = writeResults(KINDS === undefined ? 'vs-kafka' : `vs-kafka-${KINDS.join('-')}`, results, {
  kafkaVersion: kafkaVersion(),
  ratioMeaning:
    'Tributary / Kafka for records/s; Kafka / Tributary for latency: > 1 means Tributary did better',
  loadAverage: { before: loadBefore, after: loadAfter },
  settings: { scale: SCALE, partitions: PARTITIONS, rate: RATE, e2eSeconds: E2E_SECONDS, systems: SYSTEMS },
});
console.log(
  `results: ${path.relative(process.cwd(), file)}; load average (1 min) before/after ${loadBefore[0].toFixed(1)}/${loadAfter[0].toFixed(1)}`,
);
