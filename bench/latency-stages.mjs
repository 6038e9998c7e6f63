// Where an end-to-end record's time goes (issue 19): the latency case of bench:vs-kafka (100 B
// records at 5,000 records/s through bench/lib/e2e-at-rate.mjs) with tracing on for a sample of
// records, each sampled record's trace joined with the leader broker's spans of the same trace
// (`produce`, `append`, `replication wait`, sent over OTLP/HTTP JSON to a sink in this process).
//
//   npm run bench:latency-stages     (BENCH_E2E_SECONDS=20 for longer runs, BENCH_SAMPLE=0.2,
//                                     BENCH_RECORD_SIZE=1024 for 1 KiB records, BENCH_RF=3 for
//                                     the RF=3 case only, BENCH_STAGES_OUT=<prefix> to keep every
//                                     joined record as <prefix>-<RF>.json)
//
// Stages of one record, all on this machine's clock (epoch ms):
//   to broker      send() called -> the broker's produce handler starts (client queue, encode,
//                  HTTP/2, decode)
//   append         handler start -> the log append ends (validation, CRC, write)
//   replication    acks=all: the wait until the high watermark covers the batch (followers fetch)
//   to consumer    the record is committed (append end at RF=1, wait end at RF=3) -> the
//                  consumer's handler has it (fetch wake-up, response, decode)
// The table shows each stage at the median record and averaged over the slowest 1 % (the p99
// tail), and each stage's own p99. The first second of records is warm-up, left out as the
// end-to-end figure leaves it out. Tracing costs something: the traced run's own p50/p99 are
// shown beside, and the machine's CPU over the case (every process, and the time the hypervisor
// took: on a VM a stolen slice stalls every process at once). Ports BENCH_PORT_BASE (42000) + 500..599 on 127.0.0.1.
import * as fs from 'node:fs';
import { createServer } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eArgs } from './lib/e2e-protocol.mjs';
import { machineCpu, runMeasured } from './lib/proc-usage.mjs';
import { progress, table, writeResults } from './lib/report.mjs';
import { startTributaryCluster } from './lib/tributary-cluster.mjs';
import { tributaryTools } from './lib/tributary-perf.mjs';

const E2E = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'e2e-at-rate.mjs');
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 10);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 0.1);
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
const RATE = 5000;
const RECORD_SIZE = Number(process.env.BENCH_RECORD_SIZE ?? 100);
const SETUPS = [
  { name: 'RF=3 acks=all', replicationFactor: 3, acks: 'all' },
  { name: 'RF=1 acks=1', replicationFactor: 1, acks: '1' },
].filter((s) => (process.env.BENCH_RF ?? '3,1').split(',').includes(String(s.replicationFactor)));
const STAGES = ['toBroker', 'append', 'replication', 'toConsumer'];

/** OTLP/JSON encodes a time as a decimal string or as a {low, high} pair; to epoch ms. */
const nanosToMs = (t) =>
  typeof t === 'object'
    ? Number((BigInt(t.high >>> 0) << 32n) | BigInt(t.low >>> 0)) / 1e6
    : Number(BigInt(t)) / 1e6;

// The OTLP sink: keeps the broker spans by trace id.
const spansByTrace = new Map();
const sink = createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const name = s.name.startsWith('append ')
              ? 'append'
              : s.name.startsWith('replication wait ')
                ? 'replication'
                : s.name;
            if (!['produce', 'append', 'replication'].includes(name)) continue;
            const list = spansByTrace.get(s.traceId) ?? [];
            list.push({ name, start: nanosToMs(s.startTimeUnixNano), end: nanosToMs(s.endTimeUnixNano) });
            spansByTrace.set(s.traceId, list);
          }
        }
      }
    } catch {
      // Not JSON (another exporter encoding): nothing to join; the summary says so.
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise((r) => sink.listen(PORT_BASE + 500, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${PORT_BASE + 500}`;
const otel = (sampler, arg) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_'))),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
  OTEL_TRACES_SAMPLER: sampler,
  ...(arg === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: String(arg) }),
  OTEL_BSP_SCHEDULE_DELAY: '200',
});

/** Stages of one traced record, or undefined when the broker's spans of its trace are missing. */
function stagesOf(record, acks) {
  const spans = spansByTrace.get(record.traceId) ?? [];
  const produce = spans.find((s) => s.name === 'produce');
  const append = spans.find((s) => s.name === 'append');
  const wait = spans.find((s) => s.name === 'replication');
  if (!produce || !append || (acks === 'all' && !wait)) return undefined;
  const committed = acks === 'all' ? wait.end : append.end;
  return {
    total: record.receivedAt - record.sentAt,
    toBroker: produce.start - record.sentAt,
    append: append.end - produce.start,
    replication: acks === 'all' ? wait.end - append.end : 0,
    toConsumer: record.receivedAt - committed,
  };
}

const quantile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

async function measure(setup) {
  spansByTrace.clear();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-stages-'));
  const tributary = await startTributaryCluster(PORT_BASE + 510, { env: otel('parentbased_always_off') });
  let run;
  let traced;
  let cpu;
  const machine = machineCpu();
  const out = path.join(work, 'traced.jsonl');
  try {
    const { bootstrap } = tributary;
    const topic = `stages-${setup.replicationFactor}`;
    await tributaryTools({ bootstrap }).createTopic(topic, 1, setup.replicationFactor);
    machine.start();
    run = await runMeasured(
      process.execPath,
      [
        E2E,
        ...e2eArgs({
          bootstrap,
          topic,
          records: RATE * SECONDS,
          recordSize: RECORD_SIZE,
          rate: RATE,
          acks: setup.acks,
          warmup: RATE,
        }),
      ],
      { env: { ...otel('parentbased_traceidratio', SAMPLE), BENCH_TRACE_OUT: out } },
    );
    cpu = machine.finish();
    // Broker spans are exported every 200 ms; give the last batch time to arrive.
    await new Promise((r) => setTimeout(r, 1000));
    traced = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } finally {
    await tributary.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const overall = JSON.parse(run.stdout.trim().split('\n').pop());
  const joined = traced
    .filter((r) => !r.warmup)
    .map((r) => {
      const st = stagesOf(r, setup.acks);
      return st && { ...st, at: r.sentAt };
    })
    .filter(Boolean);
  if (process.env.BENCH_STAGES_OUT)
    fs.writeFileSync(
      `${process.env.BENCH_STAGES_OUT}-${setup.replicationFactor}.json`,
      JSON.stringify(joined),
    );
  joined.sort((a, b) => a.total - b.total);
  const median = joined[Math.floor(joined.length / 2)];
  const tail = joined.slice(Math.floor(joined.length * 0.99));
  const stageP99 = Object.fromEntries(
    STAGES.map((s) => [
      s,
      quantile(
        joined.map((j) => j[s]).sort((a, b) => a - b),
        0.99,
      ),
    ]),
  );
  return {
    name: `end-to-end ${RECORD_SIZE} B, ${setup.name}, ${RATE} records/s, stages`,
    replicationFactor: setup.replicationFactor,
    acks: setup.acks,
    tracedRun: overall,
    machineCpu: cpu,
    sampledRecords: traced.filter((r) => !r.warmup).length,
    joinedRecords: joined.length,
    medianRecord: median,
    p99TailMean: Object.fromEntries(['total', ...STAGES].map((s) => [s, mean(tail.map((j) => j[s]))])),
    p99TailRecords: tail.length,
    stageP99,
  };
}

const bar = progress(SETUPS.length, 'cases');
const loadBefore = os.loadavg();
const cases = [];
for (const [i, setup] of SETUPS.entries()) {
  bar.update(i, `${setup.name}: ${SECONDS} s at ${RATE} records/s, ${SAMPLE * 100} % traced`);
  cases.push(await measure(setup));
}
bar.stop();
sink.close();

const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '-');
for (const c of cases) {
  console.log(
    `\n${c.name}: traced run p50 ${f(c.tracedRun.p50Ms)} ms, p99 ${f(c.tracedRun.p99Ms)} ms; ${c.joinedRecords} of ${c.sampledRecords} sampled records joined with broker spans; machine busy ${f(c.machineCpu.busySeconds, 1)} of ${f(c.machineCpu.coreSeconds, 1)} core-seconds, ${f(c.machineCpu.stealSeconds, 1)} stolen`,
  );
  console.log(
    table(
      ['stage (ms)', 'median record', `slowest 1 % (mean of ${c.p99TailRecords})`, 'stage p99'],
      ['total', ...STAGES].map((s) => [
        s,
        f(c.medianRecord?.[s]),
        f(c.p99TailMean[s]),
        s === 'total' ? '' : f(c.stageP99[s]),
      ]),
    ),
  );
}
const file = writeResults('latency-stages', cases, {
  loadAverage: { before: loadBefore, after: os.loadavg() },
  settings: { seconds: SECONDS, rate: RATE, sample: SAMPLE, recordSize: RECORD_SIZE },
});
console.log(`results: ${path.relative(process.cwd(), file)}`);
