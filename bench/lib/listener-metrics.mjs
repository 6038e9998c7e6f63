// What the brokers of a LocalCluster report about the Kafka listener and the produce path, for
// bench:kafka-listener: their CPU (/proc), the Kafka listener's Fetch figures and the Produce and
// Metadata requests they handled (their /metrics), read before and after each run.
import { cpuSeconds } from './proc-usage.mjs';

/** User + system CPU seconds of all `pids` so far. */
export const cpuOf = (pids) => pids.reduce((s, pid) => s + cpuSeconds(pid), 0);

/** User + system CPU seconds of every broker of a LocalCluster so far. */
export const brokerCpu = (cluster) => cpuOf(cluster.brokers.map((b) => b.process.pid));

const metricLines = async (cluster) =>
  (await Promise.all(cluster.brokers.map(async (b) => (await fetch(b.metricsUrl)).text())))
    .join('\n')
    .split('\n');
const sampleValue = (line) => Number(line.slice(line.lastIndexOf(' ') + 1));

/** The Kafka listener's Fetch figures summed over the brokers' /metrics: count, seconds, bytes, buckets. */
export async function fetchMetrics(cluster) {
  const total = { count: 0, seconds: 0, bytes: 0, buckets: new Map() };
  for (const line of await metricLines(cluster)) {
    if (!line.includes('api="Fetch"')) continue;
    const value = sampleValue(line);
    if (line.startsWith('tributary_broker_kafka_request_duration_seconds_count')) total.count += value;
    else if (line.startsWith('tributary_broker_kafka_request_duration_seconds_sum')) total.seconds += value;
    else if (line.startsWith('tributary_broker_kafka_response_bytes_total')) total.bytes += value;
    else if (line.startsWith('tributary_broker_kafka_request_duration_seconds_bucket')) {
      const le = Number(/le="([^"]+)"/.exec(line)[1]);
      total.buckets.set(le, (total.buckets.get(le) ?? 0) + value);
    }
  }
  return total;
}

/** A quantile of the difference of two cumulative histograms, interpolated as histogram_quantile does. */
export function quantileBetween(before, after, q) {
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
export async function requestCounts(cluster) {
  const total = { produce: 0, kafkaMetadata: 0 };
  for (const line of await metricLines(cluster)) {
    if (line.startsWith('tributary_broker_produce_requests_total')) total.produce += sampleValue(line);
    else if (
      line.startsWith('tributary_broker_kafka_request_duration_seconds_count') &&
      line.includes('api="Metadata"')
    )
      total.kafkaMetadata += sampleValue(line);
  }
  return total;
}
