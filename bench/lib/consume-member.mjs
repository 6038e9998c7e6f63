// One member of a consumer group in a process of its own, for bench:scale's group case with
// BENCH_GROUP_PROCESSES=1 (a real group is separate processes, as Kafka's ConsumerPerformance
// instances would be: docs/scale.md, eighth round). Started by `fork` with one JSON argument
// { bootstrap, topic, groupId, consumerOptions }; reports its window to the parent every 100 ms
// and once more after a 'stop' message, then disconnects and exits:
//   { created, assigned, first, last, count, cpuUs }
// Times are epoch ms (performance.timeOrigin + now), comparable across processes; cpuUs is this
// process's CPU from creating the consumer on (module loading left out).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Tributary } = require('../../clients/ts/dist/index.js');

const { bootstrap, topic, groupId, consumerOptions } = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const w = { created: 0, assigned: undefined, first: undefined, last: 0, count: 0, cpuUs: 0 };
const t = new Tributary({ bootstrap, requestTimeoutMs: 30_000 });
const cpu0 = process.cpuUsage();
w.created = now();
w.last = w.created;
const consumer = t.consumer({ groupId, ...consumerOptions });
const report = () => {
  const c = process.cpuUsage(cpu0);
  w.cpuUs = c.user + c.system;
  process.send?.(w);
};
const ticker = setInterval(report, 100);
process.on('message', async (m) => {
  if (m !== 'stop') return;
  clearInterval(ticker);
  report();
  await consumer.disconnect().catch(() => undefined);
  process.disconnect?.();
  process.exit(0);
});
consumer.onRebalance({
  onPartitionsAssigned: () => {
    w.assigned ??= now();
  },
});
await consumer.subscribe({ topics: [topic], fromBeginning: true });
await consumer.run({
  eachBatch: async ({ batch }) => {
    w.last = now();
    w.first ??= w.last;
    w.count += batch.messages.length;
  },
});
