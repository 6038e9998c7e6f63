// The library consumer warmed up, in a process of its own (bench:client-ab's warm consume case):
// one pass not counted (the JIT's), then BENCH passes over the same records, each a new consumer
// assigned every partition from the earliest offset, `eachBatch` reading each value's length as
// bench:client's warm case does. Prints one JSON line: each pass's records/s and CPU ns a record.
//
//   node warm-consume.mjs <client dist/index.js> <bootstrap> <topic> <records> <passes>
import { createRequire } from 'node:module';
import { warmConsumePass } from './warm-consume-pass.mjs';

const [clientPath, bootstrap, topic, recordsArg, passesArg] = process.argv.slice(2);
const RECORDS = Number(recordsArg);
const { Tributary } = createRequire(import.meta.url)(clientPath);
const t = new Tributary({ bootstrap: bootstrap.split(',') });
const ranges = await t.admin().fetchTopicOffsets(topic);
const passes = [];
for (let i = -1; i < Number(passesArg); i++) {
  const pass = await warmConsumePass(t, topic, ranges, RECORDS);
  if (i >= 0 && pass.bytes > 0) {
    passes.push({
      recordsPerSec: pass.records / pass.seconds,
      cpuNsPerRecord: (pass.cpuMicros * 1000) / pass.records,
    });
  }
}
await t.close();
process.stdout.write(`${JSON.stringify({ passes })}\n`, () => process.exit(0));
