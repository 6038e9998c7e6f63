// Kafka listener benchmark (issue 21, item 4): Kafka's own ProducerPerformance and
// ConsumerPerformance (the Java tools behind kafka-producer-perf-test / kafka-consumer-perf-test,
// Maven artifacts in .tools/kafka/libs as resolved by `npm run test:kafka-compat`) against the
// brokers' Kafka listeners, beside `tributary perf produce` / `tributary perf consume` over gRPC
// (the baseline) against the same cluster, as interleaved pairs in one run.
//
//   npm run bench:kafka-listener      (BENCH_RECORDS=200000 for a quicker run; BENCH_PAIRS=1;
//                                      BENCH_RF=1 for one replication factor; BENCH_TUNED=0 leaves
//                                      out the tuned consumer; BENCH_APACHE_KAFKA=1 adds the same
//                                      tools against Apache Kafka to every pair (three KRaft nodes
//                                      on BENCH_PORT_BASE (42000) + 700..719, idle while the others
//                                      run); BENCH_RESULTS=0 writes no file; BENCH_TOOL_JVM_OPTS
//                                      replaces the JVM flags of kafka-run-class.sh the Kafka tools
//                                      run with (-Xmx512m stays), e.g. -XX:+UseSerialGC;
//                                      BENCH_CONSUME=0 runs the produce pairs only;
//                                      BENCH_TOOL_JVM_VARIANTS='A;B' adds, to every produce and
//                                      consume pair, a run of the Kafka tool through the listener per
//                                      JVM flag set (in place of those flags; each its own case
//                                      against the same gRPC runs))
//
// Cases, per replication factor (RF=1 acks=1, RF=3 acks=all; one partition; 100 B records):
// - produce: BENCH_PAIRS pairs, each tool into a fresh topic, the order alternating; the same
//   batching (batch.size 64 KiB, linger.ms 5: the Tributary client's defaults).
// - consume: BENCH_PAIRS pairs reading the same topic (the first one ProducerPerformance wrote)
//   from the beginning in a fresh group, the order alternating; ConsumerPerformance's figure is
//   its fetch rate (fetch.nMsg.sec: the group join left out), and `tributary perf consume` starts
//   its clock after subscribing, so both measure fetching alone.
// - consume tuned: ConsumerPerformance with --fetch-size 8 MiB (max.partition.fetch.bytes; the
//   default, 1 MiB, is what the goal is about), in the same pairs.
// ratio = median listener rec/s / median gRPC rec/s (goal: >= 0.8); pairRatios are per pair.
// The clients differ (the Java tools spend about twice the CPU per record of `tributary perf`, and
// on a small machine they take it from the brokers), so every run also records the brokers' CPU
// seconds (/proc, all three broker processes, idle work included) and the case their median per
// million records on each path: brokerCpuRatio = gRPC's / the listener's (>= 0.8: the listener
// costs the broker at most 1.25x what gRPC does), pairBrokerCpuRatios per pair.
// For each Kafka consume run the brokers' own figures say where a round trip goes: fetches and
// bytes per fetch (tributary_broker_kafka_* metrics), the broker's time per fetch (p50 of
// tributary_broker_kafka_request_duration_seconds: request read to response written) and its CPU
// per fetch (/proc, every broker process, so an upper bound), against the client's round trip
// per fetch (ConsumerPerformance's fetch time / the fetches it sent, its fetch-total from
// --print-metrics); the rest of a round trip is the client's. CPU of clients and brokers too.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafkaJars } from '../scripts/lib/kafka-jars.mjs';
import { startKafkaCluster } from './lib/kafka-cluster.mjs';
import {
  KAFKA_TOOL_JVM_FLAGS,
  parseConsumerPerformance,
  parseProducerPerformance,
} from './lib/kafka-perf.mjs';
import { cpuSeconds, runMeasured } from './lib/proc-usage.mjs';
import { progress, table, writeResults } from './lib/report.mjs';

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
/** Sides of the produce pairs: ProducerPerformance through the listener with other JVM flags. */
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
/** The CLI's --json result, and the whole process's CPU seconds (start-up and connecting included). */
const tributaryCli = async (args) => {
  const run = await runMeasured(process.execPath, [BIN, ...args, '--json'], { cwd: ROOT });
  return { ...JSON.parse(run.stdout), processCpuSeconds: run.cpuSeconds };
};

/**
 * What the Java producer did, from ProducerPerformance --print-metrics (producer-metrics group,
 * cumulative or whole-run averages): the batches it formed, the requests it sent, retries,
 * errors, throttling and connections. Whether it works harder against one broker than another
 * shows here. Absent names are left out.
 */
const PRODUCER_METRICS = {
  batchSizeAvg: 'batch-size-avg',
  recordsPerRequestAvg: 'records-per-request-avg',
  requests: 'request-total',
  requestLatencyAvgMs: 'request-latency-avg',
  recordQueueTimeAvgMs: 'record-queue-time-avg',
  recordRetries: 'record-retry-total',
  recordErrors: 'record-error-total',
  produceThrottleTimeAvgMs: 'produce-throttle-time-avg',
  connectionCreations: 'connection-creation-total',
  metadataWaitNs: 'metadata-wait-time-ns-total',
  bufferPoolWaitNs: 'bufferpool-wait-time-ns-total',
};
function producerMetrics(stdout) {
  const out = {};
  for (const [key, name] of Object.entries(PRODUCER_METRICS)) {
    const m = new RegExp(`^producer-metrics:${name}:\\{client-id=[^}]*\\}\\s*:\\s*(\\S+)`, 'm').exec(stdout);
    if (m && Number.isFinite(Number(m[1]))) out[key] = round(Number(m[1]));
  }
  return out;
}

/**
 * The fetch requests the consumer sent, from ConsumerPerformance --print-metrics (fetch-total,
 * a cumulative count; the windowed averages read NaN after the consumer closes). Undefined if absent.
 */
function clientFetches(stdout) {
  const m = /consumer-fetch-manager-metrics:fetch-total:\{client-id=[^}]*\}\s*:\s*([\d.]+)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/** The Kafka listener's Fetch figures summed over the brokers' /metrics: count, seconds, bytes, buckets. */
async function fetchMetrics(cluster) {
  const total = { count: 0, seconds: 0, bytes: 0, buckets: new Map() };
  for (const broker of cluster.brokers) {
    const text = await (await fetch(broker.metricsUrl)).text();
    for (const line of text.split('\n')) {
      if (!line.includes('api="Fetch"')) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('tributary_broker_kafka_request_duration_seconds_count')) total.count += value;
      else if (line.startsWith('tributary_broker_kafka_request_duration_seconds_sum')) total.seconds += value;
      else if (line.startsWith('tributary_broker_kafka_response_bytes_total')) total.bytes += value;
      else if (line.startsWith('tributary_broker_kafka_request_duration_seconds_bucket')) {
        const le = Number(/le="([^"]+)"/.exec(line)[1]);
        total.buckets.set(le, (total.buckets.get(le) ?? 0) + value);
      }
    }
  }
  return total;
}

/** A quantile of the difference of two cumulative histograms, interpolated as histogram_quantile does. */
function quantileBetween(before, after, q) {
  const les = [...after.buckets.keys()].sort((a, b) => a - b);
  const count = after.count - before.count;
  let lower = 0;
  let below = 0;
  for (const le of les) {
    const n = after.buckets.get(le) - (before.buckets.get(le) ?? 0);
    if (n >= q * count) {
      if (!Number.isFinite(le)) return lower;
      return lower + ((le - lower) * (q * count - below)) / Math.max(1, n - below);
    }
    lower = le;
    below = n;
  }
  return lower;
}

/**
 * Requests the brokers have handled so far: Produce on either path
 * (tributary_broker_produce_requests_total) and the Kafka listener's Metadata requests.
 */
async function requestCounts(cluster) {
  const total = { produce: 0, kafkaMetadata: 0 };
  for (const broker of cluster.brokers) {
    const text = await (await fetch(broker.metricsUrl)).text();
    for (const line of text.split('\n')) {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (line.startsWith('tributary_broker_produce_requests_total')) total.produce += value;
      else if (
        line.startsWith('tributary_broker_kafka_request_duration_seconds_count') &&
        line.includes('api="Metadata"')
      )
        total.kafkaMetadata += value;
    }
  }
  return total;
}

const brokerCpu = (cluster) => cluster.brokers.reduce((s, b) => s + cpuSeconds(b.process.pid), 0);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

async function main() {
  const loadBefore = os.loadavg();
  const producers = ['kafka', 'grpc', ...(APACHE ? ['apache'] : []), ...JVM_VARIANTS.map((v) => v.side)];
  const consumers = CONSUME
    ? [
        'kafka',
        'grpc',
        ...(TUNED ? ['tuned'] : []),
        ...(APACHE ? ['apache'] : []),
        ...JVM_VARIANTS.map((v) => v.side),
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
    /** Where each side's Kafka tools connect. */
    const kafkaBootstrap = (side) =>
      side === 'apache' ? apache.bootstrap : cluster.kafkaBootstrap.join(',');
    for (const setup of SETUPS) {
      const createTopic = async (side, name) => {
        if (side !== 'apache')
          return admin.admin().createTopics([{ name, numPartitions: 1, replicationFactor: setup.rf }]);
        await java('org.apache.kafka.tools.TopicCommand', [
          ...['--bootstrap-server', apache.bootstrap, '--create', '--topic', name],
          ...['--partitions', '1', '--replication-factor', String(setup.rf)],
        ]);
      };

      // Produce pairs, each run into its own topic.
      const produced = { kafka: [], grpc: [], apache: [] };
      for (const v of JVM_VARIANTS) produced[v.side] = [];
      const firstTopic = {};
      for (let i = 0; i < PAIRS; i++) {
        for (const side of i % 2 === 0 ? producers : [...producers].reverse()) {
          const topic = fresh(side);
          await createTopic(side, topic);
          firstTopic[side] ??= topic;
          bar.update(step, `${setup.name}: produce pair ${i + 1}, ${side}`);
          const load = os.loadavg()[0];
          const cpuBefore = brokerCpu(cluster);
          const requestsBefore = side === 'apache' ? undefined : await requestCounts(cluster);
          /** Records per Produce request as the brokers saw them (one batch per request here, on either path). */
          const perRequest = async () => {
            const after = await requestCounts(cluster);
            const requests = after.produce - requestsBefore.produce;
            return {
              brokerProduceRequests: requests,
              recordsPerProduceRequest: Math.round(RECORDS / requests),
              kafkaMetadataRequests: after.kafkaMetadata - requestsBefore.kafkaMetadata,
            };
          };
          if (side === 'grpc') {
            const r = await tributaryCli([
              ...['perf', 'produce', topic, ...PERF_FLAGS],
              ...['--acks', setup.acks, '--bootstrap', grpcBootstrap],
            ]);
            produced.grpc.push({
              recordsPerSec: r.recordsPerSec,
              clientCpuSeconds: r.cpuMs / 1000,
              clientProcessCpuSeconds: r.processCpuSeconds,
              brokerCpuSeconds: brokerCpu(cluster) - cpuBefore,
              ...(await perRequest()),
              load,
            });
          } else {
            const variant = JVM_VARIANTS.find((v) => v.side === side);
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
              variant === undefined ? TOOL_JVM_OPTS : jvmFlags(variant.flags),
            );
            const brokerCpuSeconds = brokerCpu(cluster) - cpuBefore;
            const row = {
              ...parseProducerPerformance(run.stdout),
              clientCpuSeconds: run.cpuSeconds,
              clientProcessCpuSeconds: run.cpuSeconds,
              producerMetrics: producerMetrics(run.stdout),
              load,
            };
            if (side !== 'apache') {
              Object.assign(row, { brokerCpuSeconds, ...(await perRequest()) });
            }
            produced[side].push(row);
          }
          bar.update(++step);
        }
      }
      cases.push(pairCase(`produce ${setup.name}`, setup, produced, 'tributary perf produce (gRPC)'));
      for (const v of JVM_VARIANTS)
        cases.push(
          pairCase(
            `produce ${setup.name} [JVM ${v.flags}]`,
            setup,
            { kafka: produced[v.side], grpc: produced.grpc },
            'tributary perf produce (gRPC)',
          ),
        );

      // Consume pairs: Tributary's two sides read the same records (the first topic
      // ProducerPerformance wrote through the listener); Apache Kafka its own first topic.
      const consumed = { kafka: [], grpc: [], tuned: [], apache: [] };
      for (const v of JVM_VARIANTS) consumed[v.side] = [];
      for (let i = 0; i < PAIRS; i++) {
        for (const side of i % 2 === 0 ? consumers : [...consumers].reverse()) {
          bar.update(step, `${setup.name}: consume pair ${i + 1}, ${side}`);
          const topic = side === 'apache' ? firstTopic.apache : firstTopic.kafka;
          const load = os.loadavg()[0];
          const cpuBefore = brokerCpu(cluster);
          const metricsBefore = await fetchMetrics(cluster);
          if (side === 'grpc') {
            const r = await tributaryCli([
              ...['perf', 'consume', topic, '--messages', String(RECORDS), '--group', fresh('grpc-group')],
              ...['--timeout-ms', '120000', '--bootstrap', grpcBootstrap],
            ]);
            consumed.grpc.push({
              recordsPerSec: r.recordsPerSec,
              clientCpuSeconds: r.cpuMs / 1000,
              brokerCpuSeconds: brokerCpu(cluster) - cpuBefore,
              load,
            });
            bar.update(++step);
            continue;
          }
          const variant = JVM_VARIANTS.find((v) => v.side === side);
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
            variant === undefined ? TOOL_JVM_OPTS : jvmFlags(variant.flags),
          );
          const brokerCpuSeconds = brokerCpu(cluster) - cpuBefore;
          const k = parseConsumerPerformance(run.stdout);
          if (k.records < RECORDS) throw new Error(`ConsumerPerformance read ${k.records} of ${RECORDS}`);
          const fetchesSent = clientFetches(run.stdout);
          const row = {
            recordsPerSec: k.recordsPerSec,
            clientCpuSeconds: run.cpuSeconds,
            load,
            ...(fetchesSent === undefined
              ? {}
              : { clientFetches: fetchesSent, roundTripMsPerFetch: round(k.fetchTimeMs / fetchesSent) }),
          };
          if (side !== 'apache') {
            const metricsAfter = await fetchMetrics(cluster);
            const fetches = metricsAfter.count - metricsBefore.count;
            Object.assign(row, {
              brokerCpuSeconds,
              fetches,
              recordsPerFetch: Math.round(RECORDS / fetches),
              bytesPerFetch: Math.round((metricsAfter.bytes - metricsBefore.bytes) / fetches),
              roundTripMsPerFetch: row.roundTripMsPerFetch ?? round(k.fetchTimeMs / fetches),
              brokerMsPerFetchP50: round(quantileBetween(metricsBefore, metricsAfter, 0.5) * 1000, 3),
              brokerCpuMsPerFetch: round((brokerCpuSeconds * 1000) / fetches),
            });
          }
          consumed[side].push(row);
          bar.update(++step);
        }
      }
      const consume = (kafka, name, baseline) =>
        pairCase(name, setup, { kafka, grpc: consumed.grpc, apache: consumed.apache }, baseline);
      if (CONSUME)
        cases.push(consume(consumed.kafka, `consume ${setup.name}`, 'tributary perf consume (gRPC)'));
      if (CONSUME && TUNED)
        cases.push(
          consume(
            consumed.tuned,
            `consume ${setup.name} --fetch-size 8 MiB`,
            'tributary perf consume (gRPC), defaults',
          ),
        );
      for (const v of JVM_VARIANTS)
        if (CONSUME)
          cases.push(
            consume(
              consumed[v.side],
              `consume ${setup.name} [JVM ${v.flags}]`,
              'tributary perf consume (gRPC)',
            ),
          );
    }
  } finally {
    bar.stop();
    await admin.close();
    await cluster.stop();
    await apache?.stop();
  }

  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  console.log(
    table(
      [
        'case',
        'Kafka tool via listener rec/s',
        'tributary perf via gRPC rec/s',
        'listener/gRPC',
        'per pair',
        ...(APACHE ? ['Kafka tool vs Apache Kafka rec/s'] : []),
      ],
      cases.map((c) => [
        c.name,
        fmt(c.recordsPerSec),
        fmt(c.baseline.recordsPerSec),
        c.ratio.toFixed(2),
        c.pairRatios.map((r) => r.toFixed(2)).join(' '),
        ...(APACHE ? [c.apacheKafka ? fmt(c.apacheKafka.recordsPerSec) : '-'] : []),
      ]),
    ),
  );
  console.log(
    table(
      [
        'case',
        'broker CPU s/M records, listener',
        'broker CPU s/M records, gRPC',
        'gRPC/listener',
        'per pair',
        'client CPU s/M records, Kafka tool',
        'client CPU s/M records, tributary perf',
      ],
      cases.map((c) => [
        c.name,
        c.brokerCpuSecondsPerMillionRecords.toFixed(2),
        c.baseline.brokerCpuSecondsPerMillionRecords.toFixed(2),
        c.brokerCpuRatio.toFixed(2),
        c.pairBrokerCpuRatios.map((r) => r.toFixed(2)).join(' '),
        c.clientCpuSecondsPerMillionRecords.toFixed(2),
        c.baseline.clientCpuSecondsPerMillionRecords.toFixed(2),
      ]),
    ),
  );
  const producing = cases.filter((c) => c.producerMetrics !== undefined);
  const sides = (c) => [['listener', c], ...(c.apacheKafka ? [['Apache Kafka', c.apacheKafka]] : [])];
  if (producing.length > 0)
    console.log(
      table(
        [
          'ProducerPerformance against',
          'client CPU s/M (whole process)',
          'batch B avg',
          'records/request (client)',
          'records/request (broker)',
          'requests',
          'request latency ms',
          'retries',
          'errors',
          'throttle ms',
          'connections',
          'Metadata requests (broker)',
        ],
        producing.flatMap((c) =>
          sides(c).map(([who, s]) => [
            `${c.name.split(',')[0]}: ${who}`,
            s.clientProcessCpuSecondsPerMillionRecords.toFixed(2),
            String(s.producerMetrics.batchSizeAvg),
            String(s.producerMetrics.recordsPerRequestAvg),
            String(s.recordsPerProduceRequest ?? '-'),
            String(s.producerMetrics.requests),
            String(s.producerMetrics.requestLatencyAvgMs),
            String(s.producerMetrics.recordRetries),
            String(s.producerMetrics.recordErrors),
            String(s.producerMetrics.produceThrottleTimeAvgMs),
            String(s.producerMetrics.connectionCreations),
            String(s.kafkaMetadataRequests ?? '-'),
          ]),
        ),
      ),
    );
  for (const c of producing)
    console.log(
      `${c.name}: tributary perf produce (gRPC): ${c.baseline.clientProcessCpuSecondsPerMillionRecords.toFixed(2)} CPU s/M records (whole process), ${c.baseline.recordsPerProduceRequest} records/request (broker)`,
    );
  const roundTrips = cases.filter((c) => c.roundTrip !== undefined);
  if (roundTrips.length > 0)
    console.log(
      table(
        [
          'Kafka consume case',
          'fetches',
          'KiB/fetch',
          'records/fetch',
          'round trip ms/fetch',
          'broker ms/fetch p50',
          'broker CPU ms/fetch',
        ],
        roundTrips.map((c) => [
          c.name,
          String(c.roundTrip.fetches),
          String(Math.round(c.roundTrip.bytesPerFetch / 1024)),
          String(c.roundTrip.recordsPerFetch),
          String(c.roundTrip.roundTripMsPerFetch),
          String(c.roundTrip.brokerMsPerFetchP50),
          String(c.roundTrip.brokerCpuMsPerFetch),
        ]),
      ),
    );
  for (const c of cases.filter((x) => x.apacheKafka?.roundTripMsPerFetch !== undefined))
    console.log(
      `${c.name}, the Kafka tool against Apache Kafka: ${c.apacheKafka.clientFetches} fetches, round trip ${c.apacheKafka.roundTripMsPerFetch} ms/fetch`,
    );
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
      goal: 'ratio >= 0.8 (throughput); brokerCpuRatio >= 0.8 (broker CPU per record)',
    },
  });
  console.log(`results: ${path.relative(ROOT, file)}`);
}

/** One case from interleaved runs: medians of each side, the ratio of the medians and per pair. */
function pairCase(name, setup, { kafka, grpc, apache = [] }, baselineName) {
  const medianOf = (runs, key) => round(median(runs.map((r) => r[key])));
  /** One side's medians, and its runs. */
  const perMillion = (seconds) => round((seconds * 1_000_000) / RECORDS);
  const side = (runs) => ({
    recordsPerSec: medianOf(runs, 'recordsPerSec'),
    clientCpuSeconds: medianOf(runs, 'clientCpuSeconds'),
    clientCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'clientCpuSeconds')),
    ...(runs[0].clientProcessCpuSeconds === undefined
      ? {}
      : { clientProcessCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'clientProcessCpuSeconds')) }),
    ...(runs[0].producerMetrics === undefined
      ? {}
      : {
          producerMetrics: Object.fromEntries(
            Object.keys(runs[0].producerMetrics).map((k) => [
              k,
              round(median(runs.map((r) => r.producerMetrics[k]))),
            ]),
          ),
        }),
    ...(runs[0].recordsPerProduceRequest === undefined
      ? {}
      : {
          recordsPerProduceRequest: medianOf(runs, 'recordsPerProduceRequest'),
          kafkaMetadataRequests: medianOf(runs, 'kafkaMetadataRequests'),
        }),
    ...(runs[0].brokerCpuSeconds === undefined
      ? {}
      : {
          brokerCpuSeconds: medianOf(runs, 'brokerCpuSeconds'),
          brokerCpuSecondsPerMillionRecords: perMillion(medianOf(runs, 'brokerCpuSeconds')),
        }),
    runs,
  });
  const c = {
    name: `${name}, ${RECORD_SIZE} B, ${RECORDS} records`,
    kind: name.split(' ')[0],
    replicationFactor: setup.rf,
    acks: setup.acks,
    records: RECORDS,
    recordSize: RECORD_SIZE,
    ...side(kafka),
    baseline: { name: baselineName, ...side(grpc) },
  };
  if (apache.length > 0)
    c.apacheKafka = {
      name: 'the same Kafka tool against Apache Kafka',
      ...side(apache),
      ...(apache[0].clientFetches === undefined
        ? {}
        : {
            clientFetches: medianOf(apache, 'clientFetches'),
            roundTripMsPerFetch: medianOf(apache, 'roundTripMsPerFetch'),
          }),
    };
  c.ratio = round(c.recordsPerSec / c.baseline.recordsPerSec, 3);
  c.pairRatios = kafka.map((k, i) => round(k.recordsPerSec / grpc[i].recordsPerSec, 3));
  // The listener's own cost beside gRPC's, the clients left out: gRPC's broker CPU per record over
  // the listener's, so that, like `ratio`, 1 is a tie and >= 0.8 meets the goal.
  c.brokerCpuRatio = round(c.baseline.brokerCpuSeconds / c.brokerCpuSeconds, 3);
  c.pairBrokerCpuRatios = kafka.map((k, i) => round(grpc[i].brokerCpuSeconds / k.brokerCpuSeconds, 3));
  if (kafka[0].fetches !== undefined) {
    c.roundTrip = Object.fromEntries(
      [
        'fetches',
        'bytesPerFetch',
        'recordsPerFetch',
        'roundTripMsPerFetch',
        'brokerMsPerFetchP50',
        'brokerCpuMsPerFetch',
      ].map((k) => [k, medianOf(kafka, k)]),
    );
  }
  return c;
}

await main();
