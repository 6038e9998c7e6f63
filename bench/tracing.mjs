// The cost of tracing (issue 14): produce and consume with tracing off and on at 1 % sampling,
// as interleaved pairs in one run against one local cluster (etcd, 1 controller, 1 broker, 1
// coordinator), plus one run at 100 % (the price of a sampled record). Each case runs `tributary
// perf produce` then `tributary perf consume --group` as child processes with its OTEL_*
// environment: off = no OTEL_* at all; 1 % = parentbased_traceidratio 0.01; 100 % = always_on.
// The services export too (they follow the producer's decision: parentbased_always_off for their
// own roots). Spans go over OTLP/HTTP to a sink in this process that reads and drops them, so the
// figures are our cost, not a collector's.
//
// What is measured is the steady state: each perf process first sends (consumes) BENCH_WARMUP
// records that are left out of its figures (`--warmup-records`, `--warmup-messages`), because
// in a process that lives a few seconds the JIT warming up the tracing code (about 70 µs for
// each of the first few thousand spans, 15-20 µs after) would otherwise be counted as a cost
// per record. Pairs alternate their order (off first, then 1 % first, ...) so a shared
// machine's drift falls on both alike. Per pair it records records/s and CPU per record: the
// client's (`cpuMs` of `perf --json`, measured window only) and the broker's (from
// /proc/<pid>/stat around each perf process, warm-up included, divided by every record it
// handled), steadier than throughput on a shared machine. Each ratio is the median over pairs of
// the 1 % figure divided by the same pair's off figure. The load average is recorded before and
// after. Writes bench/results/tracing.json. Goal: 1 % costs at most 3 %.
//
// BENCH_COMPARE=<dir> adds an off/1 % pair run with the client of another built checkout in each
// round (e.g. the commit before a change: `git archive <commit> | tar -x -C <dir>`, copy
// node_modules and the generated proto types, `npx tsc -b clients/ts`); its ratios are against
// its own `off`. That client must know --warmup-records (else set BENCH_WARMUP=0).
//
//   npm run bench:tracing
//   BENCH_RECORDS=300000 BENCH_WARMUP=300000 BENCH_PAIRS=4 npm run bench:tracing
//   BENCH_FULL=0 npm run bench:tracing        # no 100 % run
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const { LocalCluster } = require('../packages/test-kit/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'clients/ts/bin/tributary.js');
const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 4);
const FULL = process.env.BENCH_FULL !== '0';
/** The phase measure (bench/tracing-phases.mjs): pairs of phases, records per phase, warm-up phases. */
const PHASE_PAIRS = Number(process.env.BENCH_PHASE_PAIRS ?? 8);
const PHASE_RECORDS = Number(process.env.BENCH_PHASE_RECORDS ?? 1_000_000);
const PHASE_WARMUP = Number(process.env.BENCH_PHASE_WARMUP ?? 2);
/** BENCH_PHASE_FORCED_GC=1: a forced full collection ends each phase (the sixth pass's measure). */
const PHASE_FORCED_GC = process.env.BENCH_PHASE_FORCED_GC === '1';
/** BENCH_PHASE_NODE_ARGS: node flags for the phase processes (`--cpu-prof --cpu-prof-dir=<dir>`). */
const NODE_ARGS = (process.env.BENCH_PHASE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
/**
 * BENCH_PHASE_VARIANTS=full,nospan,...: the producer's phase measure once per variant of this
 * checkout's 1 % tracing (bench/lib/tracing-variants.mjs), in that order; default `full`.
 */
const PHASE_VARIANTS = (process.env.BENCH_PHASE_VARIANTS ?? 'full').split(',');
/** BENCH_PHASE_ROUNDS: how often each client's phase process runs, their order alternating. */
const PHASE_ROUNDS = Number(process.env.BENCH_PHASE_ROUNDS ?? 1);
/** BENCH_PHASE_OPS=produce: the producer's phases only (no topic to fill for the consumers). */
const PHASE_OPS = (process.env.BENCH_PHASE_OPS ?? 'produce,consume').split(',');
// A consumer's phase (BENCH_PHASE_CONSUME_RECORDS) is 1,000,000 records, as a producer's, read
// in small fetches (bench/tracing-phases.mjs: 256 KiB a partition, 4 MiB of prefetch;
// BENCH_PHASE_PARTITION_BYTES, BENCH_PHASE_PREFETCH_BYTES) so a phase's CPU is its own records'.
// The topic it reads is filled first.
const phaseRecords = (op) =>
  op === 'consume' ? Number(process.env.BENCH_PHASE_CONSUME_RECORDS ?? 1_000_000) : PHASE_RECORDS;
const RECORD_SIZE = 100;
const PARTITIONS = 6;

// The OTLP sink: counts spans' bytes, answers 200 like a collector.
let exportedBytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (d) => {
    exportedBytes += d.length;
  });
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
});
await new Promise((r) => sink.listen(0, '127.0.0.1', r));
const otlp = `http://127.0.0.1:${sink.address().port}`;

const SAMPLING = [
  { name: 'off', env: {} },
  {
    name: '1%',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    },
  },
  { name: '100%', env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_TRACES_SAMPLER: 'always_on' } },
];
const COMPARE = process.env.BENCH_COMPARE;
const OFF = SAMPLING[0];
const ONE = SAMPLING[1];
const FULL_MODE = { ...SAMPLING[2], bin: BIN, baseline: 'off' };
/** The off / 1 % pairs of each round: this checkout's, then the compared one's. */
const PAIR_MODES = [
  [
    { ...OFF, bin: BIN, baseline: 'off' },
    { ...ONE, bin: BIN, baseline: 'off' },
  ],
];
if (COMPARE !== undefined) {
  const bin = path.join(path.resolve(COMPARE), 'clients/ts/bin/tributary.js');
  PAIR_MODES.push([
    { ...OFF, name: 'off (compare)', bin, baseline: 'off (compare)' },
    { ...ONE, name: '1% (compare)', bin, baseline: 'off (compare)' },
  ]);
}
const MODES = [...PAIR_MODES.flat(), ...(FULL ? [FULL_MODE] : [])];

function perf(bin, args, env) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...clean, OTEL_SERVICE_NAME: 'bench-tracing', ...env },
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`tributary ${args.join(' ')} exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1)));
    });
  });
}

/**
 * BENCH_BROKER_TRACING=0: the services run without OTEL_* (a broker then ignores the requests'
 * trace context), so the client's figures leave out what a traced request costs the broker and
 * how that slows its acknowledgements.
 */
const BROKER_TRACING = process.env.BENCH_BROKER_TRACING !== '0';
const cluster = await LocalCluster.start({
  brokers: 1,
  env: BROKER_TRACING
    ? { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_TRACES_SAMPLER: 'parentbased_always_off' }
    : Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_'))),
});
const bootstrap = cluster.bootstrap.join(',');
const load = () => os.loadavg().map((l) => Math.round(l * 100) / 100);
const loadBefore = load();
process.stderr.write(`load average before: ${loadBefore.join(', ')}\n`);
/** CPU ms a process has used (utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms). */
const cpuMsOf = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const brokerPid = cluster.brokers[0].process.pid;
const OPS = ['produce', 'consume'];
/** Per client (this checkout's, then the compared one's) and op: the phases' figures. */
let phaseResults = [];
const PHASE_SCRIPT = path.join(ROOT, 'bench/tracing-phases.mjs');
const ONE_PERCENT_ENV = SAMPLING[1].env;

/** Runs bench/tracing-phases.mjs (one client process, off and 1 % phases alternating). */
function phaseRun(clientRoot, op, topic, variant = 'full') {
  const phasesTotal = PHASE_WARMUP + 2 * PHASE_PAIRS;
  process.stderr.write(
    `phases: ${op} (${variant}) with the client of ${clientRoot} (${phasesTotal} phases) ...`,
  );
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...NODE_ARGS,
        '--expose-gc',
        PHASE_SCRIPT,
        op,
        bootstrap,
        topic,
        String(2 * PHASE_PAIRS),
        String(phaseRecords(op)),
      ].concat(String(PHASE_WARMUP)),
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...clean,
          OTEL_SERVICE_NAME: 'bench-tracing',
          PHASES_CLIENT: clientRoot,
          PHASES_VARIANT: variant,
          PHASES_FORCED_GC: PHASE_FORCED_GC ? '1' : '0',
          ...(process.env.BENCH_PHASE_PARTITION_BYTES === undefined
            ? {}
            : { PHASES_PARTITION_BYTES: process.env.BENCH_PHASE_PARTITION_BYTES }),
          ...(process.env.BENCH_PHASE_PREFETCH_BYTES === undefined
            ? {}
            : { PHASES_PREFETCH_BYTES: process.env.BENCH_PHASE_PREFETCH_BYTES }),
          ...ONE_PERCENT_ENV,
        },
      },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`tracing-phases ${op} exited ${code}`));
      else {
        process.stderr.write(' done\n');
        resolve(JSON.parse(out.trim().split('\n').at(-1)).phases);
      }
    });
  });
}

/**
 * The phase measure for each client (this one, and BENCH_COMPARE's), produce then consume, the
 * clients' order alternating. The consumers read a topic produced at 1 % by `perf produce` (so
 * their phases differ in the consumer's tracing only; the header bytes, 0.5 a record on average,
 * are in both).
 */
async function measurePhases(admin) {
  const clients = [{ name: 'this', root: ROOT }];
  if (COMPARE !== undefined) clients.push({ name: 'compare', root: path.resolve(COMPARE) });
  const total = (PHASE_WARMUP + 2 * PHASE_PAIRS) * phaseRecords('consume');
  const results = [];
  // One topic to consume for every client (each reads it with a group of its own).
  const topics = { produce: 'bench-tracing-phases-produce', consume: 'bench-tracing-phases-consume' };
  if (PHASE_OPS.includes('consume')) {
    await admin.createTopics([{ name: topics.consume, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    process.stderr.write(`phases: filling ${topics.consume} at 1 % ...\n`);
    await perf(
      BIN,
      ['perf', 'produce', topics.consume, '--num-records', String(total + phaseRecords('consume'))].concat([
        '--record-size',
        String(RECORD_SIZE),
        '--throughput',
        '-1',
        '--acks',
        '1',
        '--bootstrap',
        bootstrap,
      ]),
      ONE_PERCENT_ENV,
    );
  }
  for (const [n, c] of clients.entries()) {
    c.topics = { produce: `${topics.produce}-${n}`, consume: topics.consume };
    await admin.createTopics([{ name: c.topics.produce, numPartitions: PARTITIONS, replicationFactor: 1 }]);
  }
  for (const [op, round] of OPS.filter((o) => PHASE_OPS.includes(o)).flatMap((o) =>
    Array.from({ length: PHASE_ROUNDS }, (_, r) => [o, r]),
  )) {
    // The clients' order alternates between rounds (and the consumer's starts the other way).
    const order = (op === 'produce') === (round % 2 === 0) ? clients : [...clients].reverse();
    for (const c of order) {
      // The variants are of the producer's tracing: the consumer and the compared client run it whole.
      const variants = op === 'produce' && c.name === 'this' ? PHASE_VARIANTS : ['full'];
      for (const variant of variants)
        results.push({
          client: c.name,
          op,
          variant,
          phases: await phaseRun(c.root, op, c.topics[op], variant),
        });
    }
  }
  return results;
}

const runs = Object.fromEntries(
  MODES.map((m) => [
    m.name,
    {
      round: [],
      produce: [],
      consume: [],
      bytes: [],
      cpu: { produce: [], consume: [] },
      brokerCpu: { produce: [], consume: [] },
    },
  ]),
);
try {
  const client = new Tributary({ bootstrap: cluster.bootstrap });
  const admin = client.admin();
  const total = PAIRS * PAIR_MODES.length * 2 + (FULL ? 1 : 0);
  let step = 0;
  const runCase = async (round, mode) => {
    const topic = `bench-tracing-${round}-${mode.name.replace('%', 'pct').replace(/\W+/g, '-')}`;
    await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
    const before = exportedBytes;
    process.stderr.write(`[${++step}/${total}] pair ${round}, tracing ${mode.name}: produce ...`);
    const brokerBefore = cpuMsOf(brokerPid);
    const warm = WARMUP > 0 ? ['--warmup-records', String(WARMUP)] : [];
    const produced = await perf(
      mode.bin,
      [
        'perf',
        'produce',
        topic,
        '--num-records',
        String(RECORDS + WARMUP),
        '--record-size',
        String(RECORD_SIZE),
      ].concat(['--throughput', '-1', '--acks', '1', ...warm, '--bootstrap', bootstrap]),
      mode.env,
    );
    process.stderr.write(` ${Math.round(produced.recordsPerSec).toLocaleString()}/s; consume ...`);
    const brokerBetween = cpuMsOf(brokerPid);
    const consumed = await perf(
      mode.bin,
      ['perf', 'consume', topic, '--messages', String(RECORDS + WARMUP), '--group', `g-${topic}`].concat(
        WARMUP > 0 ? ['--warmup-messages', String(WARMUP)] : [],
        ['--bootstrap', bootstrap],
      ),
      mode.env,
    );
    process.stderr.write(` ${Math.round(consumed.recordsPerSec).toLocaleString()}/s\n`);
    const brokerAfter = cpuMsOf(brokerPid);
    const r = runs[mode.name];
    r.round.push(round);
    r.produce.push(produced.recordsPerSec);
    r.consume.push(consumed.recordsPerSec);
    // µs of CPU per record: the client's over its measured records, the broker's over all.
    r.cpu.produce.push((produced.cpuMs * 1000) / produced.records);
    r.cpu.consume.push((consumed.cpuMs * 1000) / consumed.records);
    r.brokerCpu.produce.push(((brokerBetween - brokerBefore) * 1000) / (RECORDS + WARMUP));
    r.brokerCpu.consume.push(((brokerAfter - brokerBetween) * 1000) / (RECORDS + WARMUP));
    r.bytes.push(exportedBytes - before);
  };
  if (PHASE_PAIRS > 0) phaseResults = await measurePhases(admin);
  for (let round = 1; round <= PAIRS; round++) {
    // Alternate the order within each pair (off first in odd rounds, 1 % first in even ones) and,
    // with BENCH_COMPARE, which client's pair runs first (this one's in odd rounds): a position in
    // the round otherwise shows up as a difference between the two clients' off runs.
    const pairs = round % 2 ? PAIR_MODES : [...PAIR_MODES].reverse();
    for (const pair of pairs)
      for (const mode of round % 2 ? pair : [...pair].reverse()) await runCase(round, mode);
    // The 100 % run once, mid-way, against the same round's off.
    if (FULL && round === Math.ceil(PAIRS / 2)) await runCase(round, FULL_MODE);
  }
  await client.close();
} finally {
  await cluster.stop();
  sink.close();
}

const loadAfter = load();
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const cases = [];
const round3 = (x) => Math.round(x * 1000) / 1000;
for (const mode of MODES) {
  if (runs[mode.name].round.length === 0) continue; // BENCH_PAIRS=0: the phase measure only
  for (const op of OPS) {
    const r = runs[mode.name];
    const base = runs[mode.baseline];
    // Each run against its round's baseline run (the other half of its pair).
    const ratioOf = (xs, baseXs) => xs.map((x, i) => x / baseXs[base.round.indexOf(r.round[i])]);
    const ratios = ratioOf(r[op], base[op]);
    const cpuRatios = ratioOf(r.cpu[op], base.cpu[op]);
    const brokerRatios = ratioOf(r.brokerCpu[op], base.brokerCpu[op]);
    cases.push({
      name: `${op} ${RECORD_SIZE} B, tracing ${mode.name}`,
      recordsPerSec: Math.round(median(r[op])),
      rounds: r[op].map(Math.round),
      otlpBytesPerRound: median(r.bytes),
      baseline: `${op} ${RECORD_SIZE} B, tracing ${mode.baseline}`,
      ratio: round3(median(ratios)),
      roundRatios: ratios.map(round3),
      clientCpuUsPerRecord: round3(median(r.cpu[op])),
      clientCpuRatio: round3(median(cpuRatios)),
      roundClientCpuRatios: cpuRatios.map(round3),
      brokerCpuUsPerRecord: round3(median(r.brokerCpu[op])),
      brokerCpuRatio: round3(median(brokerRatios)),
      roundBrokerCpuRatios: brokerRatios.map(round3),
    });
  }
}
console.log(
  table(
    [
      'case',
      'records/s (median)',
      'vs off (median of rounds)',
      'client CPU µs/record',
      'client CPU vs off',
      'broker CPU µs/record',
      'broker CPU vs off',
      'runs (records/s)',
      'OTLP bytes/round',
    ],
    cases.map((c) => [
      c.name,
      c.recordsPerSec.toLocaleString(),
      `${(c.ratio * 100).toFixed(1)} %`,
      c.clientCpuUsPerRecord.toFixed(2),
      `${(c.clientCpuRatio * 100).toFixed(1)} %`,
      c.brokerCpuUsPerRecord.toFixed(2),
      `${(c.brokerCpuRatio * 100).toFixed(1)} %`,
      c.rounds.join(', '),
      c.otlpBytesPerRound.toLocaleString(),
    ]),
  ),
);
/** A quantile of sorted numbers (linear between neighbours). */
const quantile = (sorted, q) => {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
};
/**
 * The phase measure's figures: each pair of adjacent phases (off then 1 %, or 1 % then off)
 * gives the CPU per record that 1 % added (the 1 % phase's minus the off phase's, both with their
 * forced collection); the figure is its median over pairs, as a share of what off costs without
 * the forced collection (a process that is not measured in phases does not collect after every
 * 200,000 records), with the pairs' quartiles and extremes for the spread.
 */
const phaseSummaries = phaseResults.map(({ client, op, variant, phases }) => {
  const perRecord = (p) => p.cpuUs / p.records;
  const offs = phases.filter((p) => p.tracing === 'off');
  const ons = phases.filter((p) => p.tracing === '1%');
  const offBase = median(offs.map((p) => (p.cpuUs - p.gcUs) / p.records));
  const added = [];
  const speed = [];
  for (let k = 0; k + 1 < phases.length; k += 2) {
    const [a, b] = [phases[k], phases[k + 1]];
    const [off, on] = a.tracing === 'off' ? [a, b] : [b, a];
    added.push(perRecord(on) - perRecord(off));
    speed.push(on.records / on.wallMs / (off.records / off.wallMs));
  }
  const sorted = [...added].sort((x, y) => x - y);
  const share = (us) => round3(us / offBase);
  return {
    name: `${op}, tracing 1 % vs off in one process${client === 'this' ? '' : ' (compare)'}${
      variant === 'full' ? '' : `, ${variant}`
    }`,
    client,
    op,
    variant,
    decomposition: decompose(phases),
    pairs: added.length,
    recordsPerPhase: phaseRecords(op),
    clientCpuUsPerRecordOff: round3(offBase),
    forcedGcUsPerRecord: round3(median(phases.map((p) => p.gcUs / p.records))),
    clientCpuUsAddedMedian: round3(median(added)),
    clientCpuAddedShareMedian: share(median(added)),
    clientCpuAddedShareQuartiles: [share(quantile(sorted, 0.25)), share(quantile(sorted, 0.75))],
    clientCpuAddedShareRange: [share(sorted[0]), share(sorted.at(-1))],
    clientCpuAddedShareOfTotals: share(
      ons.reduce((t, p) => t + p.cpuUs, 0) / ons.reduce((t, p) => t + p.records, 0) -
        offs.reduce((t, p) => t + p.cpuUs, 0) / offs.reduce((t, p) => t + p.records, 0),
    ),
    recordsPerSecRatioMedian: round3(median(speed)),
    pairUsAdded: added.map(round3),
    phases: phases.map((p) => ({ ...p, wallMs: Math.round(p.wallMs) })),
  };
});
/**
 * Where the CPU 1 % adds goes (bench/lib/phase-probes.mjs): per record, the medians of the 1 %
 * phases' and the off phases' main-thread CPU, other threads' CPU (GC helpers, compiler) and
 * forced collection; per phase, the GC pauses and the heap before the forced collection; the
 * produce requests' records and partitions per request (does 1 % change batching?); and the off
 * phases after a 1 % phase against those after an off phase (does an off phase pay for the 1 %
 * phase before it?).
 */
function decompose(phases) {
  const of = (tracing, after) =>
    phases.filter((p) => p.tracing === tracing && (after === undefined || p.after === after));
  const med = (ps, f) => (ps.length === 0 ? null : round3(median(ps.map(f))));
  const per = (f) => ({ off: med(of('off'), f), '1%': med(of('1%'), f) });
  const sum = (ps, f) => ps.reduce((t, p) => t + f(p), 0);
  const ratio = (tracing, num, den) => round3(sum(of(tracing), num) / sum(of(tracing), den));
  const byPhase = (num, den) => ({ off: ratio('off', num, den), '1%': ratio('1%', num, den) });
  return {
    usPerRecord: per((p) => p.cpuUs / p.records),
    mainUsPerRecord: per((p) => p.mainUs / p.records),
    otherThreadsUsPerRecord: per((p) => (p.cpuUs - p.mainUs) / p.records),
    forcedGcUsPerRecord: per((p) => p.gcUs / p.records),
    minorGcPauseMsPerPhase: per((p) => p.gcPauses.minorMs),
    minorGcCountPerPhase: per((p) => p.gcPauses.minorCount),
    majorGcPauseMsPerPhase: per((p) => p.gcPauses.majorMs + p.gcPauses.otherMs),
    forcedGcPauseMsPerPhase: per((p) => p.forcedGcPauseMs),
    heapMiBBeforeForcedGc: per((p) => p.heapBytes / 2 ** 20),
    recordsPerRequest: byPhase(
      (p) => p.requestRecords,
      (p) => p.requests,
    ),
    partitionsPerRequest: byPhase(
      (p) => p.partitions,
      (p) => p.requests,
    ),
    tracedRequestShare: ratio(
      '1%',
      (p) => p.traced,
      (p) => p.requests,
    ),
    offUsPerRecordAfter: {
      off: med(of('off', 'off'), (p) => p.cpuUs / p.records),
      '1%': med(of('off', '1%'), (p) => p.cpuUs / p.records),
    },
    onUsPerRecordAfter: {
      off: med(of('1%', 'off'), (p) => p.cpuUs / p.records),
      '1%': med(of('1%', '1%'), (p) => p.cpuUs / p.records),
    },
  };
}
const pct = (share) => `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)} %`;
if (phaseSummaries.length > 0)
  console.log(
    table(
      [
        'phases: case',
        'client CPU µs/record off',
        'µs/record added at 1 % (median of pairs)',
        'vs off',
        'quartiles',
        'range',
        'totals',
        'forced GC µs/record',
        'records/s vs off',
      ],
      phaseSummaries.map((c) => [
        c.name,
        c.clientCpuUsPerRecordOff.toFixed(3),
        c.clientCpuUsAddedMedian.toFixed(3),
        pct(c.clientCpuAddedShareMedian),
        c.clientCpuAddedShareQuartiles.map(pct).join(' to '),
        c.clientCpuAddedShareRange.map(pct).join(' to '),
        pct(c.clientCpuAddedShareOfTotals),
        c.forcedGcUsPerRecord.toFixed(3),
        `${(c.recordsPerSecRatioMedian * 100).toFixed(1)} %`,
      ]),
    ),
  );
const pair = (x, digits = 3) => `${x.off?.toFixed(digits)} / ${x['1%']?.toFixed(digits)}`;
if (phaseSummaries.length > 0)
  console.log(
    table(
      [
        'phases: where it goes (off / 1 %)',
        'µs/record',
        'main thread µs/record',
        'other threads µs/record',
        'forced GC µs/record',
        'scavenges a phase',
        'scavenge pause ms a phase',
        'heap MiB before forced GC',
        'records a request',
        'partitions a request',
        'off after off / after 1 %',
      ],
      phaseSummaries.map(({ name, decomposition: d }) => [
        name,
        pair(d.usPerRecord),
        pair(d.mainUsPerRecord),
        pair(d.otherThreadsUsPerRecord),
        pair(d.forcedGcUsPerRecord),
        pair(d.minorGcCountPerPhase, 1),
        pair(d.minorGcPauseMsPerPhase, 1),
        pair(d.heapMiBBeforeForcedGc, 1),
        pair(d.recordsPerRequest, 0),
        pair(d.partitionsPerRequest, 2),
        `${d.offUsPerRecordAfter.off?.toFixed(3)} / ${d.offUsPerRecordAfter['1%']?.toFixed(3)}`,
      ]),
    ),
  );
console.log(`load average before: ${loadBefore.join(', ')}; after: ${loadAfter.join(', ')}`);
writeResults('tracing', cases, {
  records: RECORDS,
  warmupRecords: WARMUP,
  brokerTracing: BROKER_TRACING,
  phaseForcedGc: PHASE_FORCED_GC,
  pairs: PAIRS,
  phases: phaseSummaries,
  ...(COMPARE === undefined ? {} : { compare: path.resolve(COMPARE) }),
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadAfter,
  goal: '1% sampling costs at most 3%',
});
