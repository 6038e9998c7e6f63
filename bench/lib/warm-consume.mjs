// The library consumer warmed up, in a process of its own (bench:client-ab's warm consume case):
// one pass not counted (the JIT's), then BENCH passes over the same records, each a new consumer
// assigned every partition from the earliest offset, `eachBatch` reading each value's length as
// bench:client's warm case does. Prints one JSON line: each pass's records/s and CPU ns a record.
//
//   node warm-consume.mjs <client dist/index.js> <bootstrap> <topic> <records> <passes>
import { createRequire } from 'node:module';

const [clientPath, bootstrap, topic, recordsArg, passesArg] = process.argv.slice(2);
const RECORDS = Number(recordsArg);
const { Tributary } = createRequire(import.meta.url)(clientPath);
const t = new Tributary({ bootstrap: bootstrap.split(',') });
const ranges = await t.admin().fetchTopicOffsets(topic);
const passes = [];
for (let i = -1; i < Number(passesArg); i++) {
  const consumer = t.consumer({ maxBytes: 8 << 20, partitionMaxBytes: 4 << 20, maxPrefetchBytes: 64 << 20 });
  await consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: r.earliest })));
  let n = 0;
  let bytes = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await new Promise((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          n += batch.messages.length;
          if (n >= RECORDS) resolve();
        },
      })
      .catch(reject);
  });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  await consumer.disconnect();
  if (i >= 0 && bytes > 0) {
    passes.push({ recordsPerSec: n / seconds, cpuNsPerRecord: ((used.user + used.system) * 1000) / n });
  }
}
await t.close();
process.stdout.write(`${JSON.stringify({ passes })}\n`, () => process.exit(0));
