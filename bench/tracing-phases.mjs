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
// - every phase ends with a forced full collection (`--expose-gc`), so each phase pays for its
//   own garbage, young and old (a scavenge every few tens of thousands of records, or a
//   mark-compact of what 1 % phases promoted, would otherwise land in whichever phase comes
//   next); its CPU is reported apart (`gcUs`) so the bench can leave it out of the baseline;
// - the order alternates in blocks of off, 1 %, 1 %, off, ...: what is left to carry over lands
//   after a 1 % phase and after an off phase alike.
// CPU is `process.cpuUsage()` (every thread of the process: main, GC helpers, compiler) over the
// phase, including its flush and collection.
//
//   node --expose-gc bench/tracing-phases.mjs produce|consume <bootstrap> <topic> <phases> <records per phase> <warm-up phases>
// prints one JSON object: { phases: [{ tracing, records, cpuUs, gcUs, wallMs }] }, warm-up left out.
import { createRequire } from 'node:module';

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
if (typeof gc !== 'function') throw new Error('run with --expose-gc');

const tracing = startClientTracing('bench-tracing', process.env);
if (!tracing.enabled) throw new Error('the OTEL_* variables must turn tracing on');
const provider = api.trace.getTracerProvider().getDelegate();
const contextManager = api.context._getContextManager();
const propagator = new W3CTraceContextPropagator();

function setTracing(on) {
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
  current = { i, wall: performance.now(), cpu: process.cpuUsage() };
}
async function endPhase(records) {
  const { i, wall, cpu } = current;
  if (tracingOn(i)) await tracing.flush();
  // The phase's garbage, young and old, collected now and counted in it (see the module note).
  const beforeGc = process.cpuUsage();
  gc();
  const gcUsed = process.cpuUsage(beforeGc);
  const used = process.cpuUsage(cpu);
  if (i >= WARMUP_PHASES)
    phases.push({
      tracing: tracingOn(i) ? '1%' : 'off',
      records,
      cpuUs: used.user + used.system,
      gcUs: gcUsed.user + gcUsed.system,
      wallMs: performance.now() - wall,
    });
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
  // As `tributary perf consume --group`: eachBatch, the same fetch sizes. A phase ends, and the
  // next starts, inside the handler of the batch that completes PER_PHASE records, so no batch
  // is delivered while the tracing is being switched.
  const consumer = client.consumer({
    groupId: `phases-${topic}-${process.pid}`,
    autoOffsetReset: 'earliest',
    maxBytes: 8 * 1024 * 1024,
    partitionMaxBytes: 4 * 1024 * 1024,
    maxPrefetchBytes: 64 * 1024 * 1024,
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
} finally {
  setTracing(true);
  await tracing.shutdown();
  await client.close();
}
console.log(JSON.stringify({ phases }));
