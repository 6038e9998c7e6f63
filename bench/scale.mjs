// Scale benchmark (issue 13): one local cluster (etcd, a controller, a group coordinator, 3
// brokers) and topics of 6, 100, 1,000 and 10,000 partitions at RF 3, measuring per topic:
// topic creation (until every broker's Metadata shows a leader for every partition), Metadata
// latency and size, how long until the brokers' CPU settles after creation, idle CPU and
// resident memory of each broker holding the topic, produce throughput (one producer, acks=all, keyless and keyed), consume throughput (one consumer
// assigned every partition; a group of 4; every record from the assignment to the last record,
// with the consumer's start until its first record apart, as Kafka's ConsumerPerformance), end-to-end p99 at 5,000 records/s, and leader
// failover after kill -9 of a broker. Last, a broker's restart-to-serving time after kill -9
// with BENCH_RESTART_BYTES of log on disk (RF 1 topic of 6 partitions on that broker).
//
//   npm run bench:scale
//   BENCH_PARTITIONS=6,100,1000,10000 BENCH_SECONDS=15 BENCH_RESTART_BYTES=1g   (defaults)
//   BENCH_RESTART_BYTES=10g for the 10 GB case (minutes of writing); 0 skips it.
//   BENCH_ECHO=1 copies every service's log lines to this process's stdout (diagnosing a failed row).
//   BENCH_GROUP_PROCESSES=1 adds the group of 4 with a process per member to the consume case.
//   BENCH_CASES=keyed,keyless measures only those of idle, keyless, keyed, consume, e2e, failover
//   (default all); a row's figures for the others are left out.
//   TRIBUTARY_SERVICE_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/p' profiles every service;
//   `node --cpu-prof --cpu-prof-dir=/tmp/p bench/scale.mjs` profiles the client too; with either,
//   each case's window on the monotonic clock (µs, the profiles' timestamps) goes to stderr.
//   BENCH_LINGER_MS (5, Kafka's default) is the producer's lingerMs in the produce cases, and
//   BENCH_BUFFER_MEMORY (32m, Kafka's buffer.memory) its bufferMemory: the produce loop sends
//   1,000 records at a time whenever the producer has room (`waitForBufferSpace`), so what it
//   keeps outstanding is the producer's bound, as kafka-producer-perf-test's. (BENCH_OUTSTANDING,
//   a count of outstanding sends, is gone: at 10,000 partitions 32 sends made one-record batches.)
//
// The 6-partition topic is the baseline: every other row's throughput ratio is against it.
// Topics stay while later ones are measured (a broker holds all of them, as a real cluster
// would), so the idle and memory figures of a row include every smaller topic before it.
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { formatBytes, parseBytes, progress, table, writeResults } from './lib/report.mjs';
import { restartCase } from './lib/restart-case.mjs';
import { call, registeredBrokers } from './lib/rpc.mjs';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const { LocalCluster, waitFor } = require('../packages/test-kit/dist/index.js');
const { createClient } = require('../packages/proto/dist/index.js');
const { Tributary } = require('../clients/ts/dist/index.js');

const PARTITIONS = (process.env.BENCH_PARTITIONS ?? '6,100,1000,10000').split(',').map(Number);
// How long each produce case runs, so also how much each consume case reads: 15 s, as a 5 s
// produce gave a consume row of one or two seconds, too short to hold its rate (docs/scale.md).
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const RESTART_BYTES = parseBytes(process.env.BENCH_RESTART_BYTES, 2 ** 30);
const RECORD_SIZE = 100;
const RATE = 5000;
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);
const SETTLED_CPU_PCT = 10;
const SETTLE_MAX_S = 120;
// 10 s rather than 5: on a busy 2-core machine a 10,000-partition sweep can stall a service past a
// short lease. Failover figures are also given after the lease expired.
const LEASE_TTL = 10;
const ALL_CASES = ['idle', 'keyless', 'keyed', 'consume', 'e2e', 'failover'];
const LINGER_MS = Number(process.env.BENCH_LINGER_MS ?? 5);
const BUFFER_MEMORY = parseBytes(process.env.BENCH_BUFFER_MEMORY, 32 * 1024 * 1024);
if (process.env.BENCH_OUTSTANDING !== undefined)
  throw new Error(
    'BENCH_OUTSTANDING is gone: BENCH_BUFFER_MEMORY (bytes, 32m) bounds what the produce loop keeps outstanding',
  );
const PROFILING =
  (process.env.TRIBUTARY_SERVICE_NODE_FLAGS ?? '').includes('--cpu-prof') ||
  process.execArgv.includes('--cpu-prof');
// BENCH_GROUP_PROCESSES=1 adds a group case with each of the 4 members in a process of its own
// (bench/lib/consume-member.mjs), as a real group and Kafka's ConsumerPerformance instances run,
// beside the group of 4 in this one process (docs/scale.md, eighth round).
const GROUP_PROCESSES = process.env.BENCH_GROUP_PROCESSES === '1';
const CASES = new Set((process.env.BENCH_CASES ?? ALL_CASES.join(',')).split(','));
for (const c of CASES) if (!ALL_CASES.includes(c)) throw new Error(`BENCH_CASES: unknown case ${c}`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A controller call, retried while no controller is active (NOT_CONTROLLER, e.g. after a lease loss). */
async function controllerCall(cluster, method, request) {
  for (let attempt = 0; ; attempt++) {
    for (const node of cluster.controllers) {
      try {
        return await call('ControllerService', node.address, method, request, 120_000);
      } catch (err) {
        if (err.metadata?.get('tributary-error-code')[0] !== '41' || attempt >= 30) throw err;
      }
    }
    await sleep(1000);
  }
}
const round = (n, digits = 0) => Number(n.toFixed(digits));
const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
const rssMiB = (pid) =>
  Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/** Metadata of one topic straight off the wire: latency and encoded response size. */
async function metadataProbe(address, topic) {
  const client = createClient('BrokerService', address);
  const { requestSerialize } = client.constructor.service.Metadata;
  const samples = [];
  let size = 0;
  try {
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const bytes = await new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          '/tributary.v1.BrokerService/Metadata',
          requestSerialize,
          (b) => b,
          { topics: [topic] },
          new grpc.Metadata(),
          { deadline: Date.now() + 30_000 },
          (err, b) => (err ? reject(err) : resolve(b)),
        ),
      );
      samples.push(performance.now() - t0);
      size = bytes.length;
    }
  } finally {
    client.close();
  }
  samples.sort((a, b) => a - b);
  return { metadataMs: round(samples[3], 2), metadataBytes: size };
}

async function leadersShown(address, topic, partitions, exclude = -1) {
  const md = await call('BrokerService', address, 'metadata', { topics: [topic] }, 30_000);
  const t = md.topics.find((x) => x.name === topic);
  return (
    t !== undefined &&
    t.partitions.length === partitions &&
    t.partitions.every((p) => p.leaderId >= 0 && p.leaderId !== exclude)
  );
}

async function idleFigures(cluster) {
  const pids = cluster.brokers.map((b) => b.process.pid);
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  await sleep(IDLE_SECONDS * 1000);
  const s = (performance.now() - t0) / 1000;
  const cpu = pids.map((pid, i) => round(((cpuSeconds(pid) - before[i]) / s) * 100, 1));
  return { idleCpuPct: cpu, rssMiB: pids.map((pid) => round(rssMiB(pid))) };
}

/**
 * Waits until creation's aftermath (followers opening their new logs, first checkpoints, ISR
 * changes) is over: every broker under SETTLED_CPU_PCT of a core over a 5 s window, at most
 * SETTLE_MAX_S. Idle is what a broker costs holding the partitions, not while taking them; a
 * 10,000-partition topic kept brokers at 50 % for 20-40 s after every broker showed its leaders,
 * which a fixed 2 s wait measured as "idle" (docs/scale.md). The time it took is reported.
 */
async function settled(cluster) {
  const pids = cluster.brokers.map((b) => b.process.pid);
  const t0 = performance.now();
  for (;;) {
    const before = pids.map(cpuSeconds);
    const w0 = performance.now();
    await sleep(5000);
    const s = (performance.now() - w0) / 1000;
    const busiest = Math.max(...pids.map((pid, i) => ((cpuSeconds(pid) - before[i]) / s) * 100));
    const settleMs = round(performance.now() - t0);
    if (busiest < SETTLED_CPU_PCT) return { settleMs, settled: true };
    if (settleMs > SETTLE_MAX_S * 1000) return { settleMs, settled: false };
  }
}

/**
 * CPU time per record around `run` (which resolves `{ records, ... }`): this process (the client)
 * and the three brokers together, in µs. Under a busy machine's load throughput is noise; CPU
 * per record is what a change moves (BRIEF: prefer it next to throughput).
 */
async function withCpu(cluster, run, label) {
  const pids = cluster.brokers.map((b) => b.process.pid);
  const brokers0 = pids.map(cpuSeconds);
  const client0 = process.cpuUsage();
  const w0 = process.hrtime.bigint() / 1000n;
  const out = await run();
  const client = process.cpuUsage(client0);
  // Members in processes of their own report their CPU (µs) themselves.
  client.user += out.childCpuUs ?? 0;
  if (PROFILING) process.stderr.write(`\nprofile window ${label} ${w0} ${process.hrtime.bigint() / 1000n}\n`);
  const brokers = pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - brokers0[i], 0);
  const n = Math.max(1, out.records);
  return {
    ...out,
    clientUsPerRecord: round((client.user + client.system) / n, 2),
    brokersUsPerRecord: round((brokers * 1e6) / n, 2),
  };
}

/**
 * One producer, acks=all, as fast as it goes for SECONDS; keyed spreads 10,000 keys. The loop
 * sends whenever the producer's buffer has room: at most BUFFER_MEMORY bytes outstanding.
 */
async function produce(t, topic, keyed) {
  const producer = t.producer({
    acks: -1,
    lingerMs: LINGER_MS,
    batchSize: 256 * 1024,
    bufferMemory: BUFFER_MEMORY,
  });
  await producer.connect();
  const value = Buffer.alloc(RECORD_SIZE, 97);
  const chunk = (n) =>
    Array.from({ length: 1000 }, (_, i) => (keyed ? { key: `key-${(n + i) % 10_000}`, value } : { value }));
  let acked = 0;
  let failed = 0;
  const outstanding = new Set();
  const end = Date.now() + SECONDS * 1000;
  const t0 = performance.now();
  let n = 0;
  while (Date.now() < end) {
    await producer.waitForBufferSpace();
    const p = producer
      .send({ topic, messages: chunk(n) })
      .then(
        () => {
          acked += 1000;
        },
        () => {
          failed += 1000;
        },
      )
      .finally(() => outstanding.delete(p));
    n += 1000;
    outstanding.add(p);
  }
  await Promise.all(outstanding);
  const s = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { recordsPerSec: round(acked / s), records: acked, failedRecords: failed };
}

/**
 * Reads `total` records with one consumer assigned every partition, or a group of `members`.
 * Measured as Kafka's ConsumerPerformance does (its `fetch.nMsg.sec`: every record read over its
 * run less the group join, so from the assignment to the last record): `recordsPerSec` counts
 * every record from the moment the consumer has its partitions (`assign()` resolved, or for a
 * group its members' first `onPartitionsAssigned`, the earliest member's) to the last record of
 * any member, so the first fetch and an uneven end are inside the window. A group is one reader
 * of the topic: its records over its one window, not the sum of its members' rates over windows
 * of their own (that sum counted a member that started late or ended early at its own pace, and
 * ran 30-50 % above what the group read per second at 10,000 partitions; docs/scale.md, ninth
 * round). One difference from Kafka's is left: this client calls `onPartitionsAssigned` (and
 * resolves `assign()`) once the start offsets are looked up, Kafka's before, so the lookups fall
 * before the window here. `startMs` is the start, from creating the consumer to its first record
 * (for the group the slowest member's: join, sync, offset lookups, first fetch); `totalPerSec`
 * is every record over the whole run, start included.
 */
async function consume(t, topic, total, members) {
  const started = performance.now();
  const windows = Array.from({ length: Math.max(1, members) }, () => ({
    assigned: undefined,
    first: undefined,
    last: started,
    count: 0,
  }));
  let count = 0;
  const consumers = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${count} of ${total} in 120 s`)), 120_000);
    const start = async (i) => {
      const consumer = t.consumer({
        ...(members > 0 ? { groupId: `scale-${topic}-${started}` } : {}),
        ...CONSUMER_OPTIONS,
      });
      consumers.push(consumer);
      const w = windows[i];
      if (members > 0) {
        consumer.onRebalance({
          onPartitionsAssigned: () => {
            w.assigned ??= performance.now();
          },
        });
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
      } else {
        const ranges = await t.admin().fetchTopicOffsets(topic);
        await consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: r.earliest })));
        w.assigned = performance.now();
      }
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            w.last = performance.now();
            w.first ??= w.last;
            w.count += batch.messages.length;
            count += batch.messages.length;
            if (count >= total) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    };
    for (let i = 0; i < windows.length; i++) start(i).catch(reject);
  }).finally(() => Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined))));
  const last = Math.max(...windows.map((w) => w.last));
  return {
    recordsPerSec: round(readRate(windows)),
    startMs: round(Math.max(...windows.map((w) => (w.first ?? w.last) - started))),
    totalPerSec: round(count / ((last - started) / 1000)),
    records: count,
  };
}

/** Every consume case's consumer settings (a process-per-member group's too). */
const CONSUMER_OPTIONS = {
  autoOffsetReset: 'earliest',
  maxBytes: 8 << 20,
  partitionMaxBytes: 1 << 20,
  maxPrefetchBytes: 64 << 20,
};

/**
 * Records/s of a consumer or a group (its members' windows): every record, from the earliest
 * assignment to the last record (see {@link consume}).
 */
function readRate(windows) {
  const assigned = Math.min(...windows.map((w) => w.assigned ?? Number.POSITIVE_INFINITY));
  const last = Math.max(...windows.map((w) => w.last));
  const count = windows.reduce((sum, w) => sum + w.count, 0);
  return last > assigned ? count / ((last - assigned) / 1000) : 0;
}

/**
 * The group case of {@link consume} with each member in a process of its own
 * (bench/lib/consume-member.mjs), measured the same way: every record from the earliest member's
 * assignment to the last record (epoch ms, comparable across processes); `startMs` the slowest
 * member's, from creating its consumer (the process's start and module loading left out);
 * `childCpuUs` the members' CPU from creating their consumers on.
 */
async function consumeInProcesses(cluster, topic, total, members) {
  const started = performance.timeOrigin + performance.now();
  const groupId = `scale-${topic}-procs-${Math.round(started)}`;
  const config = {
    bootstrap: cluster.bootstrap,
    topic,
    groupId,
    consumerOptions: CONSUMER_OPTIONS,
  };
  const script = new URL('./lib/consume-member.mjs', import.meta.url);
  const windows = Array.from({ length: members }, () => ({
    assigned: undefined,
    first: undefined,
    count: 0,
    cpuUs: 0,
  }));
  const children = windows.map((_, i) => {
    const child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => Object.assign(windows[i], m));
    return child;
  });
  const exited = children.map((c) => new Promise((resolve) => c.once('exit', resolve)));
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('group in processes: not done in 120 s')), 120_000);
      const check = () => {
        if (windows.reduce((sum, w) => sum + w.count, 0) >= total) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const c of children) {
        c.on('message', check);
        c.once('exit', (code) => code !== 0 && reject(new Error(`a group member exited with ${code}`)));
      }
    });
  } finally {
    for (const c of children) if (c.connected) c.send('stop');
    await Promise.race([Promise.all(exited), sleep(30_000)]);
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
  const count = windows.reduce((sum, w) => sum + w.count, 0);
  const last = Math.max(...windows.map((w) => w.last));
  return {
    recordsPerSec: round(readRate(windows)),
    startMs: round(Math.max(...windows.map((w) => (w.first ?? w.last) - w.created))),
    totalPerSec: round(count / ((last - started) / 1000)),
    records: count,
    childCpuUs: windows.reduce((sum, w) => sum + w.cpuUs, 0),
  };
}

/** Produce-to-consume latency at RATE records/s for SECONDS, keyless, one consumer on every partition. */
async function endToEnd(t, topic) {
  const ranges = await t.admin().fetchTopicOffsets(topic);
  const consumer = t.consumer({ autoOffsetReset: 'latest', maxWaitMs: 100 });
  await consumer.assign(ranges.map((r) => ({ topic, partition: r.partition, offset: r.latest })));
  const total = RATE * SECONDS;
  const latencies = [];
  const received = new Promise((resolve) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const now = Date.now();
          for (const m of batch.messages) latencies.push(now - m.timestamp);
          if (latencies.length >= total) resolve();
        },
      })
      .catch(() => undefined);
    setTimeout(resolve, SECONDS * 1000 + 30_000);
  });
  const producer = t.producer({ acks: -1, lingerMs: 0 });
  await producer.connect();
  const value = Buffer.alloc(RECORD_SIZE, 98);
  const t0 = performance.now();
  const sends = [];
  for (let i = 0; i < total; i += 50) {
    const due = t0 + (i / RATE) * 1000;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    sends.push(
      producer
        .send({ topic, messages: Array.from({ length: 50 }, () => ({ value })) })
        .catch(() => undefined),
    );
  }
  await Promise.all(sends);
  await received;
  await producer.disconnect();
  await consumer.disconnect();
  latencies.sort((a, b) => a - b);
  return {
    e2eP50Ms: percentile(latencies, 0.5),
    e2eP99Ms: percentile(latencies, 0.99),
    e2eReceived: latencies.length,
  };
}

/** kill -9 of the broker that leads partition 0; time until every partition shows another leader. */
async function failover(cluster, topic, partitions) {
  const md = await call('BrokerService', cluster.brokers[0].address, 'metadata', { topics: [topic] }, 60_000);
  const victim = md.topics[0].partitions.find((p) => p.partition === 0).leaderId;
  const survivor = cluster.brokers.find((b) => Number(b.id) !== victim) ?? cluster.brokers[(victim + 1) % 3];
  const node = cluster.brokers[victim];
  const t0 = performance.now();
  node.signal('SIGKILL');
  await waitFor(() => leadersShown(survivor.address, topic, partitions, victim).catch(() => false), {
    timeoutMs: 120_000,
    intervalMs: 100,
    description: 'new leaders after kill -9',
  });
  const failoverMs = round(performance.now() - t0);
  await node.process.waitForExit();
  const r0 = performance.now();
  node.start();
  await node.waitServing(300_000);
  const restartMs = round(performance.now() - r0);
  // Back in sync: every partition has a leader again and the broker has caught up its ISRs.
  await waitFor(() => leadersShown(node.address, topic, partitions).catch(() => false), {
    timeoutMs: 300_000,
    intervalMs: 500,
    description: 'restarted broker serving metadata',
  });
  return { failoverMs, failoverAfterLeaseMs: Math.max(0, failoverMs - LEASE_TTL * 1000), restartMs };
}

const steps = PARTITIONS.length * 7 + 2;
const bar = progress(steps, 'steps');
let step = 0;
const tick = (label) => bar.update(++step, label);
const cluster = await LocalCluster.start({
  brokers: 3,
  controllers: 1,
  coordinators: 1,
  leaseTtlSeconds: LEASE_TTL,
  echo: process.env.BENCH_ECHO === '1',
  // Kafka's default since KIP-537 (ours is 10 s): a broker taking 10,000 new replicas on this
  // busy machine follows its last ones a minute after their leaders started counting, and at
  // 10 s every ISR shrank and grew back, each change an etcd write (docs/scale.md).
  extraArgs: { broker: ['--replica.lag.time.max.ms', '30000'] },
});
const t = new Tributary({ bootstrap: cluster.bootstrap, requestTimeoutMs: 30_000 });
const cases = [];
let restart;
try {
  const controller = cluster.controllers[0].address;
  await waitFor(async () => (await registeredBrokers(controller)) === 3, {
    timeoutMs: 30_000,
    description: '3 brokers',
  });
  tick('cluster up');
  for (const partitions of PARTITIONS) {
    const topic = `scale-${partitions}`;
    const c0 = performance.now();
    await controllerCall(cluster, 'createTopics', {
      topics: [{ name: topic, numPartitions: partitions, replicationFactor: 3 }],
      timeoutMs: 60_000,
    });
    for (const b of cluster.brokers) {
      await waitFor(() => leadersShown(b.address, topic, partitions).catch(() => false), {
        timeoutMs: 600_000,
        // A 10,000-partition Metadata answer is ~230 KB and takes the broker a second under this
        // machine's load: polling it every 200 ms was most of the broker's CPU during creation.
        intervalMs: Math.max(200, partitions / 10),
        description: `${topic} on broker ${b.id}`,
      });
    }
    const createMs = round(performance.now() - c0);
    tick(`${topic}: created`);
    const meta = await metadataProbe(cluster.brokers[0].address, topic);
    const settle = await settled(cluster);
    const idle = CASES.has('idle') ? await idleFigures(cluster) : { idleCpuPct: [], rssMiB: [] };
    tick(`${topic}: idle`);
    const none = {
      recordsPerSec: 0,
      records: 0,
      failedRecords: 0,
      clientUsPerRecord: 0,
      brokersUsPerRecord: 0,
    };
    const keyless = CASES.has('keyless')
      ? await withCpu(cluster, () => produce(t, topic, false), `${topic} keyless`)
      : none;
    tick(`${topic}: produce keyless`);
    const keyed = CASES.has('keyed')
      ? await withCpu(cluster, () => produce(t, topic, true), `${topic} keyed`)
      : none;
    tick(`${topic}: produce keyed`);
    const total = keyless.records + keyed.records;
    const consumeOne = CASES.has('consume')
      ? await withCpu(cluster, () => consume(t, topic, total, 0), `${topic} consume`)
      : none;
    const consumeGroup = CASES.has('consume')
      ? await withCpu(cluster, () => consume(t, topic, total, 4), `${topic} group`)
      : none;
    const consumeProcs =
      CASES.has('consume') && GROUP_PROCESSES
        ? await withCpu(
            cluster,
            () => consumeInProcesses(cluster, topic, total, 4),
            `${topic} group-processes`,
          )
        : none;
    tick(`${topic}: consume`);
    const e2e = CASES.has('e2e') ? await endToEnd(t, topic) : { e2eP50Ms: 0, e2eP99Ms: 0, e2eReceived: 0 };
    tick(`${topic}: end to end`);
    const fo = CASES.has('failover')
      ? await failover(cluster, topic, partitions)
      : { failoverMs: 0, failoverAfterLeaseMs: 0, restartMs: 0 };
    tick(`${topic}: failover`);
    cases.push({
      name: `${partitions} partitions`,
      partitions,
      createMs,
      ...meta,
      ...settle,
      ...idle,
      produceKeylessPerSec: keyless.recordsPerSec,
      produceKeyedPerSec: keyed.recordsPerSec,
      produceFailedRecords: keyless.failedRecords + keyed.failedRecords,
      // From the first record to the last (the goal's figure); the start apart; and the whole run.
      consumeOnePerSec: consumeOne.recordsPerSec,
      consumeGroup4PerSec: consumeGroup.recordsPerSec,
      ...(GROUP_PROCESSES
        ? {
            consumeGroup4ProcsPerSec: consumeProcs.recordsPerSec,
            consumeGroup4ProcsStartMs: consumeProcs.startMs ?? 0,
            consumeGroup4ProcsTotalPerSec: consumeProcs.totalPerSec ?? 0,
          }
        : {}),
      consumeStartMs: [consumeOne.startMs ?? 0, consumeGroup.startMs ?? 0],
      consumeTotalPerSec: [consumeOne.totalPerSec ?? 0, consumeGroup.totalPerSec ?? 0],
      // µs of CPU per record: [client, the 3 brokers together].
      cpuUsPerRecord: {
        produceKeyless: [keyless.clientUsPerRecord, keyless.brokersUsPerRecord],
        produceKeyed: [keyed.clientUsPerRecord, keyed.brokersUsPerRecord],
        consumeOne: [consumeOne.clientUsPerRecord, consumeOne.brokersUsPerRecord],
        consumeGroup4: [consumeGroup.clientUsPerRecord, consumeGroup.brokersUsPerRecord],
        ...(GROUP_PROCESSES
          ? { consumeGroup4Procs: [consumeProcs.clientUsPerRecord, consumeProcs.brokersUsPerRecord] }
          : {}),
      },
      ...e2e,
      ...fo,
    });
    // Each row as it is done (stderr, beside the bar), and the JSON so far: a long run that
    // fails later keeps what it measured.
    process.stderr.write(`\n${JSON.stringify(cases.at(-1))}\n`);
    writeResults('scale', cases, { partial: true });
  }
  if (RESTART_BYTES > 0)
    restart = await restartCase(cluster, t, RESTART_BYTES, (request) =>
      controllerCall(cluster, 'createTopics', request),
    );
  tick('restart');
} finally {
  bar.stop();
  await t.close().catch(() => undefined);
  // A profile is written at exit only, and a broker holding 10,000 logs takes longer than the
  // cluster's 10 s grace to close them (docs/scale.md, Not done).
  if (PROFILING) await Promise.all(cluster.brokers.map((b) => b.stop(300_000)));
  await cluster.stop();
}

const base = cases[0];
for (const c of cases) {
  c.baseline = { produceKeylessPerSec: base.produceKeylessPerSec, consumeOnePerSec: base.consumeOnePerSec };
  c.ratio = {
    produceKeyless: round(c.produceKeylessPerSec / base.produceKeylessPerSec, 2),
    produceKeyed: round(c.produceKeyedPerSec / base.produceKeyedPerSec, 2),
    consumeOne: round(c.consumeOnePerSec / base.consumeOnePerSec, 2),
    consumeGroup4: round(c.consumeGroup4PerSec / base.consumeGroup4PerSec, 2),
    ...(GROUP_PROCESSES
      ? { consumeGroup4Procs: round(c.consumeGroup4ProcsPerSec / base.consumeGroup4ProcsPerSec, 2) }
      : {}),
  };
}
const fmt = (n) => n.toLocaleString('en-US');
console.log(
  table(
    [
      'partitions',
      'create ms',
      'metadata ms / size',
      'settle ms',
      'idle CPU % (b0 b1 b2)',
      'RSS MiB',
      'produce keyless / keyed (ratio)',
      'consume 1 / group of 4, assignment to last record (ratio)',
      'consume start ms 1 / group; whole run records/s 1 / group',
      ...(GROUP_PROCESSES ? ['group of 4, a process each (ratio); start ms'] : []),
      `CPU µs/record client+brokers: keyless, keyed, consume 1, group${GROUP_PROCESSES ? ', group in processes' : ''}`,
      'e2e p50 / p99 ms',
      'failover ms (after lease)',
      'restart ms',
    ],
    cases.map((c) => [
      fmt(c.partitions),
      fmt(c.createMs),
      `${c.metadataMs} / ${formatBytes(c.metadataBytes)}`,
      `${fmt(c.settleMs)}${c.settled ? '' : ' (not settled)'}`,
      c.idleCpuPct.join(' '),
      c.rssMiB.join(' '),
      `${fmt(c.produceKeylessPerSec)} / ${fmt(c.produceKeyedPerSec)} (${c.ratio.produceKeyless} / ${c.ratio.produceKeyed})`,
      `${fmt(c.consumeOnePerSec)} / ${fmt(c.consumeGroup4PerSec)} (${c.ratio.consumeOne} / ${c.ratio.consumeGroup4})`,
      `${c.consumeStartMs.map(fmt).join(' / ')}; ${c.consumeTotalPerSec.map(fmt).join(' / ')}`,
      ...(GROUP_PROCESSES
        ? [
            `${fmt(c.consumeGroup4ProcsPerSec)} (${c.ratio.consumeGroup4Procs}); ${fmt(c.consumeGroup4ProcsStartMs)}`,
          ]
        : []),
      Object.values(c.cpuUsPerRecord)
        .map(([client, brokers]) => `${client}+${brokers}`)
        .join(', '),
      `${c.e2eP50Ms} / ${c.e2eP99Ms}`,
      `${fmt(c.failoverMs)} (${fmt(c.failoverAfterLeaseMs)})`,
      fmt(c.restartMs),
    ]),
  ),
);
if (restart) {
  console.log(
    `restart after kill -9 with ${formatBytes(restart.logBytes)} of log: SERVING in ${fmt(restart.servingMs)} ms, answering for every partition in ${fmt(restart.leadingMs)} ms`,
  );
  cases.push({ name: `restart with ${formatBytes(restart.logBytes)} of log`, ...restart });
}
const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(
  `results: ${writeResults('scale', cases, { loadAverage: load, leaseTtlSeconds: LEASE_TTL })}; load average ${load}`,
);
