// What bench/tracing-phases.mjs records about each phase besides its CPU, to tell where the CPU
// 1 % adds goes (issue 14, seventh pass): the main thread's CPU apart from the other threads'
// (GC helpers, the compiler), the garbage collector's pauses by kind, the heap before the forced
// collection, and the produce requests the phase sent (so a change of batching shows).
//
// - Main-thread CPU: /proc/self/task/<pid>/schedstat (nanoseconds on CPU, precise); the other
//   threads' is the process's `cpuUsage()` minus it.
// - GC pauses: `gc` performance entries (main-thread pause of each scavenge, mark-compact,
//   incremental step), assigned to the phase whose wall-clock window holds their start; the
//   phase's forced collection is counted apart.
// - Produce requests: `ProduceStreamConnection.send` of the measured client wrapped to count
//   requests, partitions (one batch each) and records (the batch header's record count), and
//   the requests that carry a trace context.
import { readdirSync, readFileSync } from 'node:fs';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const RECORD_COUNT_OFFSET = 57; // @tributary/record-batch layout.ts

/** CPU nanoseconds of this process's main thread so far. */
export function mainThreadNs() {
  return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]);
}

/** CPU nanoseconds so far of this process's threads other than the main one, by thread name. */
export function otherThreadsNs() {
  const byName = {};
  for (const tid of readdirSync('/proc/self/task')) {
    if (tid === String(process.pid)) continue;
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      byName[name] = (byName[name] ?? 0) + ns;
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** `later - earlier` of two `otherThreadsNs()`, in µs. */
export function threadsUsBetween(earlier, later) {
  const out = {};
  for (const [name, ns] of Object.entries(later)) out[name] = (ns - (earlier[name] ?? 0)) / 1000;
  return out;
}

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Every GC pause of the process, as { start, ms, kind } (performance.now() times). */
export function watchGc() {
  const pauses = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      pauses.push({ start: e.startTime, ms: e.duration, kind: GC_KINDS[e.detail?.kind] ?? 'other' });
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    pauses,
    /** The pauses that started in [from, to), summed by kind (ms) and counted. */
    between(from, to) {
      const out = { minorMs: 0, minorCount: 0, majorMs: 0, majorCount: 0, otherMs: 0 };
      for (const p of pauses) {
        if (p.start < from || p.start >= to) continue;
        if (p.kind === 'minor') {
          out.minorMs += p.ms;
          out.minorCount++;
        } else if (p.kind === 'major') {
          out.majorMs += p.ms;
          out.majorCount++;
        } else out.otherMs += p.ms;
      }
      return out;
    },
  };
}

/** Bytes of the JavaScript heap in use now. */
export const heapUsed = () => v8.getHeapStatistics().used_heap_size;

/** Counts the produce requests the client sends (see the module note); `take()` reads and resets. */
export function countProduceRequests(ProduceStreamConnection) {
  let counts = { requests: 0, partitions: 0, records: 0, traced: 0 };
  const send = ProduceStreamConnection.prototype.send;
  ProduceStreamConnection.prototype.send = function (request) {
    counts.requests++;
    if (request.traceContext !== undefined) counts.traced++;
    for (const t of request.topics ?? [])
      for (const p of t.partitions) {
        counts.partitions++;
        counts.records += p.recordBatches.readInt32BE(RECORD_COUNT_OFFSET);
      }
    return send.call(this, request);
  };
  return {
    take() {
      const c = counts;
      counts = { requests: 0, partitions: 0, records: 0, traced: 0 };
      return c;
    },
  };
}
