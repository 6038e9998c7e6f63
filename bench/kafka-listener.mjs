// Kafka listener benchmark (issue 21, item 4): Kafka clients against the brokers' Kafka listeners,
// beside `tributary perf produce` / `tributary perf consume` over gRPC (the baseline) against the
// same cluster, as interleaved pairs in one run. Two Kafka clients:
// - Kafka's own ProducerPerformance and ConsumerPerformance (the Java tools behind
//   kafka-producer-perf-test / kafka-consumer-perf-test, Maven artifacts in .tools/kafka/libs as
//   resolved by `npm run test:kafka-compat`);
// - bench/go/kafka-perf on franz-go (bench/lib/franz-perf.mjs, built with `go build` into
//   .tools/bin): the Java tools spend 3-5 CPU s per million records of their own and on two
//   cores take them from the brokers; franz-go spends far less, so its figure is the listener's.
//
//   npm run bench:kafka-listener      (BENCH_RECORDS=200000 for a quicker run; BENCH_PAIRS=1;
//                                      BENCH_RF=1 for one replication factor; BENCH_TUNED=0 leaves
//                                      out the tuned consumer; BENCH_FRANZ=0 leaves out franz-go;
//                                      BENCH_APACHE_KAFKA=1 adds both clients against Apache Kafka
//                                      to every pair (three KRaft nodes on BENCH_PORT_BASE (42000)
//                                      + 700..719, idle while the others run); BENCH_RESULTS=0
//                                      writes no file; BENCH_TOOL_JVM_OPTS replaces the JVM flags of
//                                      kafka-run-class.sh the Kafka tools run with (-Xmx512m
//                                      stays), e.g. -XX:+UseSerialGC; BENCH_CONSUME=0 runs the
//                                      produce pairs only; BENCH_TOOL_JVM_VARIANTS='A;B' adds, to
//                                      every produce and consume pair, a run of the Kafka tool
//                                      through the listener per JVM flag set (in place of those
//                                      flags; each its own case against the same gRPC runs))
//
// Cases, per replication factor (RF=1 acks=1, RF=3 acks=all; one partition; 100 B records):
// - produce: BENCH_PAIRS pairs, each client into a fresh topic, the order alternating; the same
//   batching (batch.size 64 KiB, linger.ms 5: the Tributary client's defaults), no compression,
//   idempotence as the Java producer has it (on only at acks=all).
// - consume: BENCH_PAIRS pairs reading the same topic (the first one ProducerPerformance wrote)
//   from the beginning, the order alternating; ConsumerPerformance's figure is its fetch rate
//   (fetch.nMsg.sec: the group join left out), `tributary perf consume` starts its clock after
//   subscribing, franz-go reads the partition without a group, so all measure fetching.
// - consume tuned: ConsumerPerformance with --fetch-size 8 MiB (max.partition.fetch.bytes; the
//   default, 1 MiB, is what the goal is about), in the same pairs.
// ratio = median listener rec/s / median gRPC rec/s (goal: >= 0.8); pairRatios are per pair.
// Every run also records the brokers' CPU seconds (/proc, all three broker processes, idle work
// included; Apache Kafka's nodes likewise) and the case their median per million records on each
// path: brokerCpuRatio = gRPC's / the listener's (>= 0.8: the listener costs the broker at most
// 1.25x what gRPC does), pairBrokerCpuRatios per pair.
// For each Kafka consume run the brokers' own figures say where a round trip goes: fetches and
// bytes per fetch (tributary_broker_kafka_* metrics), the broker's time per fetch (p50 of
// tributary_broker_kafka_request_duration_seconds: request read to response written) and its CPU
// per fetch (/proc, every broker process, so an upper bound), against the client's round trip
// per fetch (its fetch time / the fetches it sent: ConsumerPerformance's fetch-total from
// --print-metrics, franz-go's counted by a hook); the rest of a round trip is the client's.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaJars } from '../scripts/lib/kafka-jars.mjs';
import { buildFranzPerf, franzConsume, franzProduce } from './lib/franz-perf.mjs';
import { startKafkaCluster } from './lib/kafka-cluster.mjs';
import { printKafkaListenerReport } from './lib/kafka-listener-report.mjs';
import {
  KAFKA_TOOL_JVM_FLAGS,
  parseConsumerFetches,
  parseConsumerPerformance,
  parseProducerMetrics,
  parseProducerPerformance,
} from './lib/kafka-perf.mjs';
import { brokerCpu, cpuOf, fetchMetrics, quantileBetween, requestCounts } from './lib/listener-metrics.mjs';
import { pairCase, round } from './lib/pair-case.mjs';
import { runMeasured } from './lib/proc-usage.mjs';
import { progress, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { Tributary } = require('../clients/ts/dist/index.js');
const { LocalCluster } = require('../packages/test-kit/dist/index.js');

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const LIBS = path.join(ROOT, '.tools/kafka/libs');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const TUNED = process.env.BENCH_TUNED !== '0';
const CONSUME = process.env.BENCH_CONSUME !== '0';
const FRANZ = process.env.BENCH_FRANZ !== '0';
const TUNED_FETCH_BYTES = 8 * 1024 * 1024;
const APACHE = process.env.BENCH_APACHE_KAFKA === '1';
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const RECORD_SIZE = 100;
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

const jvmFlags = (text) => text.split(' ').filter(Boolean);
// The tools run as Kafka's scripts run them (kafka-run-class.sh's flags, the perf tools' -Xmx512M).
const TOOL_JVM_OPTS =
  process.env.BENCH_TOOL_JVM_OPTS === undefined
    ? KAFKA_TOOL_JVM_FLAGS
    : jvmFlags(process.env.BENCH_TOOL_JVM_OPTS);
/** Sides of the pairs: the Kafka tools through the listener with other JVM flags. */
const JVM_VARIANTS = (process.env.BENCH_TOOL_JVM_VARIANTS ?? '')
  .split(';')
  .map((v) => v.trim())
  .filter(Boolean)
  .map((flags, i) => ({ side: `jvm${i}`, flags }));
const java = (mainClass, args, jvmOpts = TOOL_JVM_OPTS) =>
  runMeasured(
    'java',
    [
      '-Xmx512m',
      ...jvmOpts,
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      `${LIBS}/*`,
      mainClass,
      ...args,
    ],
    { cwd: ROOT },
  );
/** The JVM flags of a Java side of the pairs. */
const jvmOptsOf = (side) => {
  const variant = JVM_VARIANTS.find((v) => v.side === side);
  return variant === undefined ? TOOL_JVM_OPTS : jvmFlags(variant.flags);
};
/** The CLI's --json result, and the whole process's CPU seconds (start-up and connecting included). */
const tributaryCli = async (args) => {
  const run = await runMeasured(process.execPath, [BIN, ...args, '--json'], { cwd: ROOT });
  return { ...JSON.parse(run.stdout), processCpuSeconds: run.cpuSeconds };
};

/**
 * The sides of every pair: `grpc` is `tributary perf`; `kafka` and `apache` the Java tools
 * through the listener and against Apache Kafka, `franz` and `franz-apache` franz-go likewise,
 * `tuned` ConsumerPerformance with 8 MiB fetches, `jvm<i>` the Java tools with other JVM flags.
 */
const onApache = (side) => side === 'apache' || side === 'franz-apache';
const isFranz = (side) => side.startsWith('franz');

async function main() {
  const loadBefore = os.loadavg();
  if (FRANZ) buildFranzPerf();
  const producers = [
    'kafka',
    'grpc',
    ...(FRANZ ? ['franz'] : []),
    ...(APACHE ? ['apache', ...(FRANZ ? ['franz-apache'] : [])] : []),
    ...JVM_VARIANTS.map((v) => v.side),
  ];
  const consumers = CONSUME
    ? [
        ...producers.slice(0, producers.indexOf('grpc') + 1),
        ...(TUNED ? ['tuned'] : []),
        ...producers.slice(2),
      ]
    : [];
  const bar = progress(SETUPS.length * PAIRS * (producers.length + consumers.length), 'runs');
  const cluster = await LocalCluster.start({
    brokers: 3,
    controllers: 1,
    coordinators: 1,
    kafka: true,
    metrics: true,
    extraArgs: {
      broker: ['--log.level', 'warn', ...(process.env.BENCH_BROKER_ARGS ?? '').split(' ').filter(Boolean)],
    },
  });
  let apache;
  const admin = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'bench-kafka-listener' });
  const grpcBootstrap = cluster.bootstrap.join(',');
  const cases = [];
  let step = 0;
  let unique = 0;
  const fresh = (prefix) => `bench-${prefix}-${Date.now().toString(36)}-${unique++}`;
  try {
    if (APACHE) {
      bar.update(step, 'starting Apache Kafka (three KRaft nodes)');
      apache = await startKafkaCluster({
        libs: ensureKafkaJars(),
        brokerPorts: [1, 2, 3].map((i) => PORT_BASE + 700 + i),
        controllerPorts: [1, 2, 3].map((i) => PORT_BASE + 710 + i),
      });
    }
    /** Where each side's Kafka client connects, and the CPU seconds of the brokers it talks to. */
    const kafkaBootstrap = (side) => (onApache(side) ? apache.bootstrap : cluster.kafkaBootstrap.join(','));
    const brokersCpu = (side) => (onApache(side) ? cpuOf(apache.pids) : brokerCpu(cluster));
    for (const setup of SETUPS) {
      const createTopic = async (side, name) => {
        if (!onApache(side))
          return admin.admin().createTopics([{ name, numPartitions: 1, replicationFactor: setup.rf }]);
        await java('org.apache.kafka.tools.TopicCommand', [
          ...['--bootstrap-server', apache.bootstrap, '--create', '--topic', name],
          ...['--partitions', '1', '--replication-factor', String(setup.rf)],
        ]);
      };

      /** One produce run of a side into `topic`: its client's figures, then the brokers'. */
      const produceRun = async (side, topic) => {
        const load = os.loadavg()[0];
        const cpuBefore = brokersCpu(side);
        const requestsBefore = onApache(side) ? undefined : await requestCounts(cluster);
        let row;
        if (side === 'grpc') {
          const r = await tributaryCli([
            ...['perf', 'produce', topic, ...PERF_FLAGS],
            ...['--acks', setup.acks, '--bootstrap', grpcBootstrap],
          ]);
          row = {
            recordsPerSec: r.recordsPerSec,
            clientCpuSeconds: r.cpuMs / 1000,
            clientProcessCpuSeconds: r.processCpuSeconds,
          };
        } else if (isFranz(side)) {
          const r = await franzProduce({
            ...{ bootstrap: kafkaBootstrap(side), topic, records: RECORDS },
            ...{ recordSize: RECORD_SIZE, acks: setup.acks },
          });
          row = {
            recordsPerSec: r.recordsPerSec,
            clientCpuSeconds: r.cpuSeconds,
            clientProcessCpuSeconds: r.processCpuSeconds,
            clientRequests: r.requests,
          };
        } else {
          const run = await java(
            'org.apache.kafka.tools.ProducerPerformance',
            [
              ...['--topic', topic, ...PERF_FLAGS, '--producer-props'],
              `bootstrap.servers=${kafkaBootstrap(side)}`,
              `acks=${setup.acks}`,
              // The Tributary client's defaults (Kafka's own are 16 KiB), so both send the same batches.
              'batch.size=65536',
              'linger.ms=5',
              '--print-metrics',
            ],
            jvmOptsOf(side),
          );
          row = {
            ...parseProducerPerformance(run.stdout),
            clientCpuSeconds: run.cpuSeconds,
            clientProcessCpuSeconds: run.cpuSeconds,
            producerMetrics: parseProducerMetrics(run.stdout),
          };
        }
        row.brokerCpuSeconds = brokersCpu(side) - cpuBefore;
        row.load = load;
        if (requestsBefore === undefined) return row;
        // Records per Produce request as the brokers saw them (one batch per request here, on either path).
        const after = await requestCounts(cluster);
        const requests = after.produce - requestsBefore.produce;
        return Object.assign(row, {
          brokerProduceRequests: requests,
          recordsPerProduceRequest: Math.round(RECORDS / requests),
          kafkaMetadataRequests: after.kafkaMetadata - requestsBefore.kafkaMetadata,
        });
      };

      /** One consume run of a side from the beginning of `topic`: the client's figures, the brokers'. */
      const consumeRun = async (side, topic) => {
        const load = os.loadavg()[0];
        const cpuBefore = brokersCpu(side);
        const metricsBefore = onApache(side) || side === 'grpc' ? undefined : await fetchMetrics(cluster);
        let row;
        if (side === 'grpc') {
          const r = await tributaryCli([
            ...['perf', 'consume', topic, '--messages', String(RECORDS), '--group', fresh('grpc-group')],
            ...['--timeout-ms', '120000', '--bootstrap', grpcBootstrap],
          ]);
          row = {
            recordsPerSec: r.recordsPerSec,
            clientCpuSeconds: r.cpuMs / 1000,
            clientProcessCpuSeconds: r.processCpuSeconds,
          };
        } else if (isFranz(side)) {
          const r = await franzConsume({ bootstrap: kafkaBootstrap(side), topic, records: RECORDS });
          row = {
            recordsPerSec: r.recordsPerSec,
            clientCpuSeconds: r.cpuSeconds,
            clientProcessCpuSeconds: r.processCpuSeconds,
            clientFetches: r.requests,
            fetchTimeMs: r.seconds * 1000,
          };
        } else {
          const run = await java(
            'org.apache.kafka.tools.ConsumerPerformance',
            [
              ...[
                '--bootstrap-server',
                kafkaBootstrap(side),
                '--topic',
                topic,
                '--messages',
                String(RECORDS),
              ],
              ...['--group', fresh('kafka-group'), '--timeout', '120000', '--print-metrics'],
              ...(side === 'tuned' ? ['--fetch-size', String(TUNED_FETCH_BYTES)] : []),
            ],
            jvmOptsOf(side),
          );
          const k = parseConsumerPerformance(run.stdout);
          if (k.records < RECORDS) throw new Error(`ConsumerPerformance read ${k.records} of ${RECORDS}`);
          row = {
            recordsPerSec: k.recordsPerSec,
            clientCpuSeconds: run.cpuSeconds,
            clientProcessCpuSeconds: run.cpuSeconds,
            fetchTimeMs: k.fetchTimeMs,
            clientFetches: parseConsumerFetches(run.stdout),
          };
        }
        const brokerCpuSeconds = brokersCpu(side) - cpuBefore;
        Object.assign(row, { brokerCpuSeconds, load });
        if (row.clientFetches !== undefined)
          row.roundTripMsPerFetch = round(row.fetchTimeMs / row.clientFetches);
        if (metricsBefore === undefined) return row;
        const metricsAfter = await fetchMetrics(cluster);
        const fetches = metricsAfter.count - metricsBefore.count;
        return Object.assign(row, {
          fetches,
          recordsPerFetch: Math.round(RECORDS / fetches),
          bytesPerFetch: Math.round((metricsAfter.bytes - metricsBefore.bytes) / fetches),
          roundTripMsPerFetch: row.roundTripMsPerFetch ?? round(row.fetchTimeMs / fetches),
          brokerMsPerFetchP50: round(quantileBetween(metricsBefore, metricsAfter, 0.5) * 1000, 3),
          brokerCpuMsPerFetch: round((brokerCpuSeconds * 1000) / fetches),
        });
      };

      /** A case of the pairs: the listener side, the gRPC runs, the Apache Kafka side if any. */
      const caseOf = (name, client, baselineName, runs, [listener, onKafka]) =>
        pairCase(
          { name, setup, records: RECORDS, recordSize: RECORD_SIZE, baselineName, client },
          { kafka: runs[listener], grpc: runs.grpc, apache: runs[onKafka] ?? [] },
        );

      // Produce pairs, each run into its own topic.
      const produced = Object.fromEntries(producers.map((side) => [side, []]));
      const firstTopic = {};
      for (let i = 0; i < PAIRS; i++) {
        for (const side of i % 2 === 0 ? producers : [...producers].reverse()) {
          const topic = fresh(side);
          await createTopic(side, topic);
          firstTopic[side] ??= topic;
          bar.update(step, `${setup.name}: produce pair ${i + 1}, ${side}`);
          produced[side].push(await produceRun(side, topic));
          bar.update(++step);
        }
      }
      const grpcProduce = 'tributary perf produce (gRPC)';
      cases.push(
        caseOf(`produce ${setup.name}`, 'ProducerPerformance', grpcProduce, produced, ['kafka', 'apache']),
      );
      if (FRANZ)
        cases.push(
          caseOf(`produce ${setup.name} [franz-go]`, 'franz-go', grpcProduce, produced, [
            'franz',
            'franz-apache',
          ]),
        );
      for (const v of JVM_VARIANTS)
        cases.push(
          caseOf(`produce ${setup.name} [JVM ${v.flags}]`, 'ProducerPerformance', grpcProduce, produced, [
            v.side,
          ]),
        );
      if (!CONSUME) continue;

      // Consume pairs: Tributary's sides read the same records (the first topic ProducerPerformance
      // wrote through the listener); the Apache Kafka sides the first topic it wrote there.
      const consumed = Object.fromEntries(consumers.map((side) => [side, []]));
      for (let i = 0; i < PAIRS; i++) {
        for (const side of i % 2 === 0 ? consumers : [...consumers].reverse()) {
          bar.update(step, `${setup.name}: consume pair ${i + 1}, ${side}`);
          consumed[side].push(await consumeRun(side, onApache(side) ? firstTopic.apache : firstTopic.kafka));
          bar.update(++step);
        }
      }
      const grpcConsume = 'tributary perf consume (gRPC)';
      cases.push(
        caseOf(`consume ${setup.name}`, 'ConsumerPerformance', grpcConsume, consumed, ['kafka', 'apache']),
      );
      if (TUNED)
        cases.push(
          caseOf(
            `consume ${setup.name} --fetch-size 8 MiB`,
            'ConsumerPerformance',
            `${grpcConsume}, defaults`,
            consumed,
            ['tuned', 'apache'],
          ),
        );
      if (FRANZ)
        cases.push(
          caseOf(`consume ${setup.name} [franz-go]`, 'franz-go', grpcConsume, consumed, [
            'franz',
            'franz-apache',
          ]),
        );
      for (const v of JVM_VARIANTS)
        cases.push(
          caseOf(`consume ${setup.name} [JVM ${v.flags}]`, 'ConsumerPerformance', grpcConsume, consumed, [
            v.side,
          ]),
        );
    }
  } finally {
    bar.stop();
    await admin.close();
    await cluster.stop();
    await apache?.stop();
  }

  printKafkaListenerReport(cases, { apache: APACHE });
  const loadAfter = os.loadavg();
  console.log(
    `load average: ${loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(1)).join(' ')} after`,
  );
  if (process.env.BENCH_RESULTS === '0') return;
  const file = writeResults(APACHE ? 'kafka-listener-apache' : 'kafka-listener', cases, {
    loadAverage: { before: loadBefore, after: loadAfter },
    settings: {
      records: RECORDS,
      recordSize: RECORD_SIZE,
      partitions: 1,
      pairs: PAIRS,
      apacheKafka: APACHE,
      franzGo: FRANZ,
      goal: 'ratio >= 0.8 (throughput); brokerCpuRatio >= 0.8 (broker CPU per record)',
    },
  });
  console.log(`results: ${path.relative(ROOT, file)}`);
}

await main();
