// End-to-end latency at a fixed rate through the Tributary TypeScript client, for
// bench:vs-kafka: the same measurement as bench/java/EndToEndAtRate.java makes with Kafka's
// client. A producer (lingerMs 0) sends records on schedule, each carrying its send time; a
// consumer in the same process (one clock) reads partition 0 from its end; the latency is
// receive time minus send time.
//
//   node bench/lib/e2e-at-rate.mjs BOOTSTRAP TOPIC RECORDS RECORD_SIZE RATE ACKS WARMUP
// prints one JSON line: {"records":N,"p50Ms":..,"p99Ms":..,"p999Ms":..}
//
// With BENCH_TRACE_OUT=<file> (bench/latency-stages.mjs), tracing starts from the OTEL_*
// environment and every sampled record's trace id, send time and receive time (epoch ms) are
// written there as JSON lines, to be joined with the brokers' spans of the same trace.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Tributary, startClientTracing } = require('../../clients/ts/dist/index.js');

const [bootstrap, topic, recordsArg, sizeArg, rateArg, acksArg, warmupArg] = process.argv.slice(2);
const records = Number(recordsArg);
const size = Math.max(8, Number(sizeArg));
const rate = Number(rateArg);
const acks = acksArg === 'all' ? -1 : Number(acksArg);
const warmup = Number(warmupArg);

const traceOut = process.env.BENCH_TRACE_OUT;
const tracing = traceOut ? startClientTracing('bench-e2e', process.env) : undefined;
const traced = [];
const client = new Tributary({ bootstrap: bootstrap.split(',') });
// BENCH_E2E_PRODUCER: producer options over these (JSON), for experiments (bench/latency-ab.mjs).
const producer = client.producer({
  acks,
  lingerMs: 0,
  ...JSON.parse(process.env.BENCH_E2E_PRODUCER ?? '{}'),
});
const consumer = client.consumer({ minBytes: 1 });
await producer.connect();
const [p0] = (await client.admin().fetchTopicOffsets(topic)).filter((r) => r.partition === 0);
await consumer.assign([{ topic, partition: 0, offset: Number(p0.latest) }]);

const latencies = new Float64Array(records);
let received = 0;
const done = new Promise((resolve, reject) => {
  consumer
    .run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          if (received >= records) break;
          const sent = m.value.readDoubleBE(0);
          latencies[received++] = now - sent;
          const parent = traceOut ? m.headers.find((h) => h.key === 'traceparent')?.value : undefined;
          if (parent) {
            const traceId = String(parent).split('-')[1];
            traced.push({
              traceId,
              warmup: received <= warmup,
              sentAt: performance.timeOrigin + sent,
              receivedAt: performance.timeOrigin + now,
            });
          }
        }
        if (received >= records) resolve();
      },
    })
    .catch(reject);
});

// Due records are sent every millisecond, as the Java program parks until each one is due.
const start = performance.now();
let sent = 0;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const due = Math.min(records, Math.floor(((performance.now() - start) / 1000) * rate));
    while (sent < due) {
      const value = Buffer.alloc(size);
      value.writeDoubleBE(performance.now(), 0);
      void producer.send({ topic, messages: [{ value, partition: 0 }] });
      sent++;
    }
    if (sent >= records) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
await Promise.race([done, new Promise((r) => setTimeout(r, 60_000))]);
await producer.disconnect();
await consumer.disconnect();
if (traceOut) {
  await tracing.shutdown();
  fs.writeFileSync(traceOut, traced.map((t) => JSON.stringify(t)).join('\n'));
}

const kept = latencies.slice(Math.min(warmup, received), received).sort();
const q = (p) =>
  kept.length === 0 ? Number.NaN : kept[Math.min(kept.length - 1, Math.floor(p * kept.length))];
console.log(JSON.stringify({ records: kept.length, p50Ms: q(0.5), p99Ms: q(0.99), p999Ms: q(0.999) }));
process.exit(0);
