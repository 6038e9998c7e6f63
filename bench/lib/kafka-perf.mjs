// Apache Kafka's side of bench:vs-kafka: its own tools (TopicCommand, ProducerPerformance,
// ConsumerPerformance) from the resolved jars, each run under GNU time for its CPU and memory,
// and the rate-holding end-to-end program bench/java/EndToEndAtRate.java. JVM flags are those
// of kafka-producer-perf-test.sh and kafka-run-class.sh.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eArgs, e2eResult } from './e2e-protocol.mjs';
import { runMeasured } from './proc-usage.mjs';

const E2E_SOURCE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'java',
  'EndToEndAtRate.java',
);
/**
 * The JVM flags Kafka's bin/kafka-run-class.sh gives every tool (KAFKA_JVM_PERFORMANCE_OPTS;
 * kafka-producer-perf-test.sh adds -Xmx512M): how Kafka's perf tools are meant to run.
 */
export const KAFKA_TOOL_JVM_FLAGS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
];
const TOOL_JVM = [...KAFKA_TOOL_JVM_FLAGS, '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn'];

/**
 * Parses ProducerPerformance's summary: "N records sent, R records/sec (M MB/sec), ...", its last
 * line, or the line before the metrics with --print-metrics.
 */
export function parseProducerPerformance(stdout) {
  const summary = /^\d+ records sent, .* ms 99\.9th\.?$/gm;
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(
      stdout.match(summary)?.pop() ?? '',
    );
  if (!m) throw new Error(`cannot read ProducerPerformance's summary from: ${stdout.slice(-500)}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    sendLatencyMs: { p50: Number(m[5]), p99: Number(m[7]) },
  };
}

/** Parses ConsumerPerformance's CSV (a header line and a value line); fetch.* excludes the group join. */
export function parseConsumerPerformance(stdout) {
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  if (header < 0 || !lines[header + 1])
    throw new Error(`cannot read ConsumerPerformance's output: ${stdout.slice(-500)}`);
  const names = lines[header].split(',').map((s) => s.trim());
  const values = lines[header + 1].split(',').map((s) => s.trim());
  const field = (n) => Number(values[names.indexOf(n)]);
  return {
    records: field('data.consumed.in.nMsg'),
    recordsPerSec: field('fetch.nMsg.sec'),
    fetchTimeMs: field('fetch.time.ms'),
  };
}

/** Kafka's tools against `bootstrap`, from the jars in `libs`. */
export function kafkaTools({ libs, bootstrap }) {
  const java = (heap, args) => runMeasured('java', [heap, ...TOOL_JVM, '-cp', `${libs}/*`, ...args]);
  return {
    name: 'Kafka',
    async createTopic(topic, partitions, replicationFactor) {
      await java('-Xmx256m', [
        'org.apache.kafka.tools.TopicCommand',
        '--bootstrap-server',
        bootstrap,
        '--create',
        '--topic',
        topic,
        '--partitions',
        String(partitions),
        '--replication-factor',
        String(replicationFactor),
      ]);
    },
    async produce({ topic, records, recordSize, acks }) {
      const run = await java('-Xmx512m', [
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        String(recordSize),
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${bootstrap}`,
        `acks=${acks}`,
      ]);
      return {
        ...parseProducerPerformance(run.stdout),
        cpuSeconds: run.cpuSeconds,
        peakRssBytes: run.peakRssBytes,
      };
    },
    async consume({ topic, records }) {
      const run = await java('-Xmx512m', [
        'org.apache.kafka.tools.ConsumerPerformance',
        '--bootstrap-server',
        bootstrap,
        '--topic',
        topic,
        '--messages',
        String(records),
        '--timeout',
        '60000',
      ]);
      return {
        ...parseConsumerPerformance(run.stdout),
        cpuSeconds: run.cpuSeconds,
        peakRssBytes: run.peakRssBytes,
      };
    },
    async endToEnd(options) {
      return e2eResult(await java('-Xmx512m', [E2E_SOURCE, ...e2eArgs({ bootstrap, ...options })]));
    },
  };
}

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
export function parseProducerMetrics(stdout) {
  const out = {};
  for (const [key, name] of Object.entries(PRODUCER_METRICS)) {
    const m = new RegExp(`^producer-metrics:${name}:\\{client-id=[^}]*\\}\\s*:\\s*(\\S+)`, 'm').exec(stdout);
    if (m && Number.isFinite(Number(m[1]))) out[key] = Math.round(Number(m[1]) * 100) / 100;
  }
  return out;
}

/**
 * The fetch requests the consumer sent, from ConsumerPerformance --print-metrics (fetch-total,
 * a cumulative count; the windowed averages read NaN after the consumer closes). Undefined if absent.
 */
export function parseConsumerFetches(stdout) {
  const m = /consumer-fetch-manager-metrics:fetch-total:\{client-id=[^}]*\}\s*:\s*([\d.]+)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}
