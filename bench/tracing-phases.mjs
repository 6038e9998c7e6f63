// The precise measure of what 1 % sampling costs a client (issue 14), run by bench/tracing.mjs as
// a child process: ONE producer (or consumer) process alternates short phases with tracing off
// and at 1 %, so both halves of a comparison share the process, its JIT state, its heap and the
// machine's moment. Separate processes (the bench's pairs) differed by ±20 % between two runs of
// the same client, ten times the 3 % goal.
//
// Tracing is set up once from the OTEL_* variables the bench passes (1 % =
// parentbased_traceidratio 0.01), as `tributary perf` does (`startClientTracing`). A phase "off"
// unregisters the API's three globals that `startTracing` registered (tracer provider, context
// manager, propagator), so the client sees exactly what it sees with tracing off (the API's
// no-op tracer, no AsyncLocalStorage); a 1 % phase registers the same provider, context manager
// and propagator again. The head sampler's count of root trials carries over between 1 % phases,
// so the sampling stays a draw per record at 1 %.
//
// Honest accounting, so one phase's work does not fall into the next:
// - the producer waits for every record of a phase to be acknowledged before the phase ends;
// - a 1 % phase ends with a flush of the batch span processor (its spans' OTLP/JSON and HTTP
//   export are counted in it, not in the next phase; at 1 % a phase of 100,000 records holds
//   about the 1,024 spans that make one export anyway);
// - phases are long (1,000,000 records: about 50 scavenges and three mark-compacts each), so
//   each holds the collections its own allocation and promotion bring on, and what one phase
//   leaves to the next is a small part of either;
// - the order alternates in blocks of off, 1 %, 1 %, off, ...: what is left to carry over lands
//   after a 1 % phase and after an off phase alike.
// The sixth pass ended every phase of 200,000 records with a forced full collection instead
// (PHASES_FORCED_GC=1; its CPU reported apart as `gcUs`). That made the major collections a
// threshold: after the forced one, a phase either promoted enough to start a mark-compact of its
// own or not, so some processes' off phases had none and their 1 % phases one (1 % measured
// +90 %) and others had one in both (+42 %). Without it, off and 1 % phases hold the same number
// of mark-compacts (docs/observability.md, seventh pass).
// CPU is `process.cpuUsage()` (every thread of the process: main, GC helpers, compiler) over the
// phase, including its flush and collection.
//
// Each phase also records (bench/lib/phase-probes.mjs) its main thread's CPU, its GC pauses by
// kind, the heap before the forced collection and the produce requests it sent (requests,
// partitions, records, traced requests), and the tracing of the phase before it.
// PHASES_VARIANT (bench/lib/tracing-variants.mjs) does only part of a sampled record's work in
// the 1 % phases (no span, no header, no export, JSON without HTTP), to decompose its cost.
//
//   node --expose-gc bench/tracing-phases.mjs produce|consume <bootstrap> <topic> <phases> <records per phase> <warm-up phases>
// prints one JSON object: { phases: [{ tracing, records, cpuUs, gcUs, wallMs, ... }] }, warm-up left out.
import { createRequire } from 'node:module';
import {
  countProduceRequests,
  heapUsed,
  mainThreadNs,
  otherThreadsNs,
  threadsUsBetween,
  watchGc,
} from './lib/phase-probes.mjs';
import { applyVariant } from './lib/tracing-variants.mjs';

// PHASES_CLIENT: the root of the checkout whose client is measured (BENCH_COMPARE), else this
// one. The OpenTelemetry API is that checkout's copy: its globals are shared between copies,
// but `trace.disable()` resets only the calling copy's proxy provider.
const CLIENT_ROOT = process.env.PHASES_CLIENT ?? new URL('..', import.meta.url).pathname;
const clientRequire = createRequire(`${CLIENT_ROOT}/clients/ts/package.json`);
const { Tributary, startClientTracing } = clientRequire('./dist/index.js');
const api = clientRequire('@opentelemetry/api');
const { W3CTraceContextPropagator } = clientRequire('@opentelemetry/core');

const [op, bootstrap, topic, phasesArg, recordsArg, warmupArg] = process.argv.slice(2);
const PHASES = Number(phasesArg);
const PER_PHASE = Number(recordsArg);
const WARMUP_PHASES = Number(warmupArg);
/** PHASES_FORCED_GC=1: a forced full collection ends each phase, as in the sixth pass (see above). */
const FORCED_GC = process.env.PHASES_FORCED_GC === '1';
if (FORCED_GC && typeof gc !== 'function') throw new Error('run with --expose-gc');

const tracing = startClientTracing('bench-tracing', process.env);
if (!tracing.enabled) throw new Error('the OTEL_* variables must turn tracing on');
const provider = api.trace.getTracerProvider().getDelegate();
const contextManager = api.context._getContextManager();
const propagator = new W3CTraceContextPropagator();
const VARIANT = process.env.PHASES_VARIANT ?? 'full';
let tracingIsOn = true;
applyVariant(VARIANT, { clientRequire, provider, isOn: () => tracingIsOn });
const gcWatch = watchGc();
const requests = countProduceRequests(
  clientRequire('./dist/internal/produce-stream.js').ProduceStreamConnection,
);

function setTracing(on) {
  tracingIsOn = on;
  if (on) {
    api.trace.setGlobalTracerProvider(provider);
    api.context.setGlobalContextManager(contextManager.enable());
    api.propagation.setGlobalPropagator(propagator);
  } else {
    api.trace.disable();
    api.context.disable(); // also turns AsyncLocalStorage's hooks off if a consumer turned them on
    api.propagation.disable();
  }
}

/** off, 1 %, 1 %, off, off, 1 %, ...: each 1 % phase follows an off phase as often as a 1 % one. */
const tracingOn = (i) => i % 4 === 1 || i % 4 === 2;

const client = new Tributary({ bootstrap: bootstrap.split(',') });
const phases = [];

/** The phase under way: its index, and the CPU and wall clock at its start. */
let current;
function startPhase(i) {
  setTracing(tracingOn(i));
  requests.take();
  current = {
    i,
    hrUs: Number(process.hrtime.bigint() / 1000n),
    wall: performance.now(),
    cpu: process.cpuUsage(),
    mainNs: mainThreadNs(),
    threads: otherThreadsNs(),
  };
}
async function endPhase(records) {
  const { i, hrUs, wall, cpu, mainNs, threads } = current;
  if (tracingOn(i)) await tracing.flush();
  const sent = requests.take();
  const heap = heapUsed();
  // The phase's garbage, young and old, collected now and counted in it (see the module note).
  const gcStart = performance.now();
  const beforeGc = process.cpuUsage();
  if (FORCED_GC) gc();
  const gcUsed = process.cpuUsage(beforeGc);
  const used = process.cpuUsage(cpu);
  const mainUs = (mainThreadNs() - mainNs) / 1000;
  const heapAfterGc = heapUsed();
  const threadsUs = threadsUsBetween(threads, otherThreadsNs());
  const end = performance.now();
  if (i >= WARMUP_PHASES)
    phases.push({
      tracing: tracingOn(i) ? '1%' : 'off',
      after: i === 0 ? 'none' : tracingOn(i - 1) ? '1%' : 'off',
      records,
      cpuUs: used.user + used.system,
      mainUs,
      threadsUs,
      gcUs: gcUsed.user + gcUsed.system,
      wallMs: end - wall,
      heapBytes: heap,
      heapAfterGcBytes: heapAfterGc,
      // The produce requests' own counts; their `records` as `requestRecords` (a consumer
      // sends none, and the phase's records must not be overwritten by its zero).
      requests: sent.requests,
      partitions: sent.partitions,
      traced: sent.traced,
      requestRecords: sent.records,
      window: [wall, gcStart, end],
      // Monotonic µs (V8 CPU profiles' clock): which profile samples fall in the phase.
      hrUs: [hrUs, Number(process.hrtime.bigint() / 1000n)],
    });
}
/** The GC pauses of each phase (the entries arrive after it), the forced collection apart. */
async function addGcPauses() {
  await new Promise((r) => setTimeout(r, 50));
  for (const p of phases) {
    const [from, gcStart, to] = p.window;
    p.gcPauses = gcWatch.between(from, gcStart);
    p.forcedGcPauseMs = gcWatch.between(gcStart, to).majorMs;
    delete p.window;
  }
}

async function produce() {
  // As `tributary perf produce --throughput -1 --acks 1`: calls of 1,000 records, 32 in flight.
  const producer = client.producer({ acks: 1 });
  await producer.connect();
  const payload = Buffer.alloc(100, 0x61);
  const sendPhase = async () => {
    const pending = new Set();
    for (let sent = 0; sent < PER_PHASE; sent += 1000) {
      const messages = Array.from({ length: Math.min(1000, PER_PHASE - sent) }, () => ({ value: payload }));
      const p = producer.send({ topic, messages }).finally(() => pending.delete(p));
      pending.add(p);
      if (pending.size >= 32) await Promise.race(pending);
    }
    await Promise.all(pending);
    return PER_PHASE;
  };
  for (let i = 0; i < WARMUP_PHASES + PHASES; i++) {
    startPhase(i);
    await endPhase(await sendPhase());
  }
  await producer.disconnect();
}

async function consume() {
  // As `tributary perf consume --group` (eachBatch), but with small fetches: a phase ends, and
  // the next starts, inside the handler of the batch that completes PER_PHASE records, so no
  // batch is delivered while the tracing is being switched. With perf's 4 MiB a partition a
  // batch was up to ~36,000 records and the prefetch up to 64 MiB (~600,000 records, decoded
  // ahead of the phase that delivers them): phases held unequal work and their CPU was partly
  // the next phase's (the sixth pass's pairs ranged from −97 % to +121 %). Here a batch is at
  // most PHASES_PARTITION_BYTES (256 KiB, ~2,300 records) and the prefetch at most
  // PHASES_PREFETCH_BYTES (4 MiB, ~36,000 records), a few per cent of a phase of 1,000,000
  // records, and the same for off and 1 % phases (eighth pass).
  const partitionMaxBytes = Number(process.env.PHASES_PARTITION_BYTES ?? 256 * 1024);
  const consumer = client.consumer({
    groupId: `phases-${topic}-${process.pid}`,
    autoOffsetReset: 'earliest',
    maxBytes: 4 * partitionMaxBytes,
    partitionMaxBytes,
    maxPrefetchBytes: Number(process.env.PHASES_PREFETCH_BYTES ?? 4 * 1024 * 1024),
  });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let inPhase = 0;
  let bytes = 0;
  await new Promise((resolve, reject) => {
    startPhase(0);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          if (current.i >= WARMUP_PHASES + PHASES) return;
          for (const m of batch.messages) bytes += m.value?.length ?? 0;
          inPhase += batch.messages.length;
          if (inPhase < PER_PHASE) return;
          await endPhase(inPhase);
          inPhase = 0;
          if (current.i + 1 >= WARMUP_PHASES + PHASES) {
            current = { i: WARMUP_PHASES + PHASES };
            resolve();
          } else startPhase(current.i + 1);
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  if (bytes === 0) throw new Error('consumed nothing');
}

try {
  if (op === 'produce') await produce();
  else await consume();
  await addGcPauses();
} finally {
  setTracing(true);
  await tracing.shutdown();
  await client.close();
}
console.log(JSON.stringify({ variant: VARIANT, phases }));
