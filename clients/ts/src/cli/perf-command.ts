/**
 * `tributary perf produce` / `perf consume`: what Kafka's kafka-producer-perf-test and
 * kafka-consumer-perf-test print (records/s, MB/s, latency percentiles), with a progress bar on
 * a terminal and one JSON object with `--json`.
 */
import { SingleBar } from 'cli-progress';
import type { Tributary } from '../tributary';
import type { PerfConsumeArgs, PerfProduceArgs } from './commands/perf';
import { json, type Output } from './output';
import { COMPRESSION } from './produce-command';

/** The `--json` object of both perf commands. */
export interface PerfResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMs: { avg: number; max: number; p50: number; p95: number; p99: number; p999: number };
  /**
   * CPU time this process used over the measured window (user + system), ms: on a shared
   * machine a steadier measure of the client's own cost than records/s.
   */
  cpuMs: number;
}

/** Percentile by nearest rank over sorted values. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(
  records: number,
  bytes: number,
  elapsedMs: number,
  latencies: Float64Array,
  cpuSince?: NodeJS.CpuUsage,
): PerfResult {
  const sorted = latencies.slice().sort();
  let sum = 0;
  for (const l of sorted) sum += l;
  const round = (n: number) => Math.round(n * 100) / 100;
  const secs = Math.max(elapsedMs, 1) / 1000;
  return {
    records,
    recordsPerSec: round(records / secs),
    mbPerSec: round(bytes / (1024 * 1024) / secs),
    latencyMs: {
      avg: round(sorted.length === 0 ? 0 : sum / sorted.length),
      max: round(sorted.length === 0 ? 0 : sorted[sorted.length - 1]!),
      p50: round(percentile(sorted, 0.5)),
      p95: round(percentile(sorted, 0.95)),
      p99: round(percentile(sorted, 0.99)),
      p999: round(percentile(sorted, 0.999)),
    },
    cpuMs: cpuSince === undefined ? 0 : round(cpuMsSince(cpuSince)),
  };
}

const cpuMsSince = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

function bar(enabled: boolean, total: number): SingleBar | undefined {
  if (!enabled) return undefined;
  const b = new SingleBar({
    format: '{bar} {percentage}% | {value}/{total} records | {rate} rec/s',
    hideCursor: true,
    stream: process.stderr,
  });
  b.start(total, 0, { rate: 0 });
  return b;
}

export async function perfProduce(t: Tributary, c: PerfProduceArgs, io: Output): Promise<PerfResult> {
  const producer = t.producer({
    acks: c.acks,
    compression: COMPRESSION[c.compression],
    ...(c.bufferMemory === undefined ? {} : { bufferMemory: c.bufferMemory }),
  });
  const payload = Buffer.alloc(c.recordSize, 0x61);
  // Warm-up records (Kafka's --warmup-records, KIP-1052) are sent and acknowledged first and
  // left out of every figure: what is measured is the steady state, not the JIT warming up.
  const warmup = Math.min(c.warmupRecords, c.numRecords - 1);
  const measured = c.numRecords - warmup;
  const latencies = new Float64Array(measured);
  const progress = bar(c.progress, c.numRecords);
  const chunk = Math.max(1, Math.min(1000, c.throughput > 0 ? Math.ceil(c.throughput / 100) : 1000));
  // What is outstanding is bounded by the producer's bufferMemory, as kafka-producer-perf-test's
  // by buffer.memory: the loop waits for room before each send.
  const pending = new Set<Promise<void>>();
  let done = 0;
  let failure: unknown;
  let start = performance.now();
  let cpuStart = process.cpuUsage();
  const sendAll = async (count: number, record: boolean) => {
    let windowStart = performance.now();
    let windowCount = 0;
    for (let sent = 0; sent < count && failure === undefined; ) {
      const n = Math.min(chunk, count - sent);
      const messages = Array.from({ length: n }, () => ({ value: payload }));
      const first = sent;
      // Before the wait for room: Kafka's send blocks when buffer.memory is full, and its latency
      // counts from before the send.
      const at = performance.now();
      await producer.waitForBufferSpace();
      const p = producer
        .send({ topic: c.topic, messages })
        .then(() => {
          const now = performance.now();
          if (record) latencies.fill(now - at, first, first + n);
          done += n;
          progress?.update(done, { rate: Math.round(done / ((now - start) / 1000)) });
        })
        .catch((err) => {
          failure ??= err;
        })
        .finally(() => pending.delete(p));
      pending.add(p);
      sent += n;
      windowCount += n;
      if (c.throughput > 0) {
        // Throttle like Kafka's ThroughputThrottler: sleep until the window's rate is back on target.
        const ahead = (windowCount / c.throughput) * 1000 - (performance.now() - windowStart);
        if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
        if (performance.now() - windowStart > 1000) {
          windowStart = performance.now();
          windowCount = 0;
        }
      }
    }
    await Promise.all(pending);
  };
  try {
    await producer.connect();
    if (warmup > 0) {
      await sendAll(warmup, false);
      start = performance.now();
      cpuStart = process.cpuUsage();
    }
    await sendAll(measured, true);
  } finally {
    progress?.stop();
    await producer.disconnect().catch(() => {});
  }
  if (failure !== undefined) throw failure;
  const result = summarize(measured, measured * c.recordSize, performance.now() - start, latencies, cpuStart);
  io.out(
    c.json
      ? json(result)
      : `${result.records} records sent, ${result.recordsPerSec} records/sec (${result.mbPerSec} MB/sec), ${result.latencyMs.avg} ms avg latency, ${result.latencyMs.max} ms max latency, ${result.latencyMs.p50} ms 50th, ${result.latencyMs.p95} ms 95th, ${result.latencyMs.p99} ms 99th, ${result.latencyMs.p999} ms 99.9th.`,
  );
  return result;
}

export async function perfConsume(t: Tributary, c: PerfConsumeArgs, io: Output): Promise<PerfResult> {
  const consumer = t.consumer({
    ...(c.group === undefined ? {} : { groupId: c.group }),
    autoOffsetReset: 'earliest',
    maxBytes: 8 * 1024 * 1024,
    partitionMaxBytes: 4 * 1024 * 1024,
    maxPrefetchBytes: 64 * 1024 * 1024,
  });
  const progress = bar(c.progress, c.messages);
  // Latency here is fetch-to-handler: time from a record's timestamp to its delivery.
  const latencies = new Float64Array(c.messages);
  let count = 0;
  let bytes = 0;
  const timer = setTimeout(() => void consumer.disconnect(), c.timeoutMs);
  let start = performance.now();
  let cpuStart = process.cpuUsage();
  // The first --warmup-messages are consumed but left out of every figure (see perfProduce).
  const warmup = Math.min(c.warmupMessages, c.messages - 1);
  let from = 0;
  let bytesBefore = 0;
  try {
    if (c.group !== undefined) await consumer.subscribe({ topics: [c.topic], fromBeginning: true });
    else {
      const ranges = await t.admin().fetchTopicOffsets(c.topic);
      await consumer.assign(
        ranges.map((r) => ({ topic: c.topic, partition: r.partition, offset: r.earliest })),
      );
    }
    start = performance.now();
    cpuStart = process.cpuUsage();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const now = Date.now();
            for (const m of batch.messages) {
              if (count >= c.messages) break;
              bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
              latencies[count++] = Math.max(0, now - m.timestamp);
            }
            if (count % 10_000 < batch.messages.length) progress?.update(count);
            if (warmup > 0 && from === 0 && count >= warmup) {
              from = count;
              bytesBefore = bytes;
              start = performance.now();
              cpuStart = process.cpuUsage();
            }
            if (count >= c.messages) resolve();
          },
        })
        .then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    progress?.update(count);
    progress?.stop();
    await consumer.disconnect();
  }
  const elapsed = performance.now() - start;
  if (count < c.messages) {
    throw new Error(
      `Consumed only ${count} of ${c.messages} records within --timeout-ms ${c.timeoutMs}; is the topic that long?`,
    );
  }
  const result = summarize(
    count - from,
    bytes - bytesBefore,
    elapsed,
    latencies.subarray(from, count),
    cpuStart,
  );
  io.out(
    c.json
      ? json(result)
      : `${result.records} records consumed in ${(elapsed / 1000).toFixed(2)} s: ${result.recordsPerSec} records/sec (${result.mbPerSec} MB/sec); end-to-end latency ${result.latencyMs.avg} ms avg, ${result.latencyMs.max} ms max, ${result.latencyMs.p50} ms 50th, ${result.latencyMs.p95} ms 95th, ${result.latencyMs.p99} ms 99th, ${result.latencyMs.p999} ms 99.9th.`,
  );
  return result;
}
