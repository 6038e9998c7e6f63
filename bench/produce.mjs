// Produce benchmark (issue 6): one producer through the real client against a local cluster of
// broker processes on a real etcd, beside a raw grpc-js baseline measured in the same run.
//
//   npm run bench:produce          (BENCH_SECONDS=3 for a quick run; BENCH_PROFILE=1 writes a
//                                    CPU profile of broker 0 under the RF=1 100 B load)
//
// Cases: 100 B and 1 KiB records, RF=1 acks=1 and RF=3 acks=all.
// - throughput: records/s and MB/s of record values, the producer sending as fast as its
//   window allows (lingerMs 5, batchSize 256 KiB, 5 requests in flight per broker);
// - latency: produce -> consume at a fixed 5,000 records/s (1 KiB... both sizes), lingerMs 0,
//   a fetcher long-polling the partition's leader; p50/p99/p999 of (delivery time - record
//   timestamp), both clocks this machine's.
// - baseline: the same batch bytes streamed over a bare grpc-js bidi stream (8 MiB window, an
//   ack message per request, 5 in flight) between two processes, no storage, no replication.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeProfile } from './lib/cpu-profile.mjs';
import { progress, table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');
const { Producer } = require('../clients/ts/dist/producer/producer.js');
const { Fetcher } = require('../clients/ts/dist/consumer/fetcher.js');
const { Cluster } = require('../clients/ts/dist/rpc/cluster.js');
const {
  LocalCluster,
  ManagedProcess,
  checkHealth,
  repoRoot,
  waitFor,
} = require('../packages/test-kit/dist/index.js');
const { connectEtcd, keys, serializeRecord } = require('../packages/registry/dist/index.js');
const { encodeRecordBatch } = require('../packages/record-batch/dist/index.js');
const { FLOW_CONTROL_WINDOW_BYTES, GRPC_CHANNEL_OPTIONS } = require('../packages/proto/dist/index.js');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 6);
const RATE = 5000;
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 1);
const SIZES = (process.env.BENCH_SIZES ?? '100,1024').split(',').map(Number);
const SETUPS = [
  { name: 'RF=1 acks=1', rf: 1, acks: 1 },
  { name: 'RF=3 acks=all', rf: 3, acks: -1 },
];

// --- raw gRPC baseline server (run in a child process) ------------------------------------
const RAW_SERVICE = {
  stream: {
    path: '/bench.Raw/Stream',
    requestStream: true,
    responseStream: true,
    requestSerialize: (b) => b,
    requestDeserialize: (b) => b,
    responseSerialize: (b) => b,
    responseDeserialize: (b) => b,
  },
};

if (process.argv[2] === '--raw-server') {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 << 20 });
  server.addService(RAW_SERVICE, {
    stream(call) {
      call.on('data', (b) => call.write(b.subarray(0, 8)));
      call.on('end', () => call.end());
    },
  });
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) throw err;
    // Raise the server's HTTP/2 window as the service kit does (grpc-js's private listener map).
    for (const listener of server.http2Servers?.keys() ?? []) {
      listener.on('session', (session) => {
        session.setLocalWindowSize(FLOW_CONTROL_WINDOW_BYTES);
        session.settings({ initialWindowSize: FLOW_CONTROL_WINDOW_BYTES });
      });
    }
    process.stdout.write(`${port}\n`);
  });
} else {
  await main();
}

async function rawBaseline(recordSize, seconds) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--raw-server'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).trim()))),
  );
  const Client = grpc.makeGenericClientConstructor(RAW_SERVICE, 'Raw');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), GRPC_CHANNEL_OPTIONS);
  const perBatch = Math.floor((256 * 1024) / (recordSize + 12));
  const batch = encodeRecordBatch(
    Array.from({ length: perBatch }, () => ({ value: Buffer.alloc(recordSize, 97) })),
  );
  const call = client.stream();
  call.on('error', () => undefined);
  let inFlight = 0;
  let records = 0;
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await new Promise((resolve) => {
    const pump = () => {
      while (inFlight < 5 && Date.now() < end) {
        inFlight++;
        call.write(batch);
      }
      if (inFlight === 0 && Date.now() >= end) resolve();
    };
    call.on('data', () => {
      inFlight--;
      records += perBatch;
      pump();
    });
    pump();
  });
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  call.end();
  client.close();
  child.kill();
  return { recordsPerSec: records / s, mbPerSec: (records * recordSize) / s / 1e6 };
}

async function createTopic(etcd, name, rf, partitions) {
  const replicas = Array.from({ length: partitions }, (_, p) =>
    Array.from({ length: rf }, (_, i) => (p + i) % 3),
  );
  const topic = { version: 1, name, topicId: randomUUID(), replicas, configs: {}, createdAt: Date.now() };
  await etcd.ns.put(keys.topicKey(name)).value(serializeRecord(topic)).exec();
  for (let p = 0; p < partitions; p++) {
    const state = {
      version: 1,
      leader: replicas[p][0],
      leaderEpoch: 0,
      isr: replicas[p],
      controllerEpoch: 1,
      partitionEpoch: 0,
    };
    await etcd.ns.put(keys.partitionStateKey(name, p)).value(serializeRecord(state)).exec();
  }
}

async function throughput(cluster, topic, setup, recordSize, seconds, tick) {
  const producer = new Producer({
    bootstrap: cluster.bootstrap,
    acks: setup.acks,
    lingerMs: 5,
    batchSize: 256 * 1024,
    maxRequestSize: 8 << 20,
  });
  await producer.connect();
  const chunk = Array.from({ length: 1000 }, () => ({ value: Buffer.alloc(recordSize, 97) }));
  await producer.send({ topic, messages: chunk.slice(0, 10) });
  let acked = 0;
  const outstanding = new Set();
  const end = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  const window = Math.max(8, Math.ceil((4 << 20) / (recordSize * chunk.length)));
  while (Date.now() < end) {
    const p = producer.send({ topic, messages: chunk }).then(() => {
      acked += chunk.length;
      outstanding.delete(p);
    });
    outstanding.add(p);
    if (outstanding.size >= window) await Promise.race(outstanding);
    tick();
  }
  await Promise.all(outstanding);
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  await producer.disconnect();
  return { recordsPerSec: acked / s, mbPerSec: (acked * recordSize) / s / 1e6, records: acked };
}

async function latency(cluster, topic, setup, recordSize, seconds) {
  const metadataCluster = new Cluster({
    bootstrap: cluster.bootstrap,
    requestTimeoutMs: 5000,
    retry: { retries: 5, initialRetryTimeMs: 50, maxRetryTimeMs: 500 },
  });
  const fetcher = new Fetcher({
    metadata: (t) => metadataCluster.metadata(t),
    settings: {
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 8 << 20,
      partitionMaxBytes: 4 << 20,
      maxPrefetchBytes: 64 << 20,
    },
  });
  const producer = new Producer({ bootstrap: cluster.bootstrap, acks: setup.acks, lingerMs: 0 });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: Buffer.alloc(recordSize), partition: 0 }] });
  fetcher.add([{ topic, partition: 0, offset: 1 }]);
  const samples = [];
  const total = RATE * seconds;
  let received = 0;
  const reader = (async () => {
    while (received < total) {
      const next = await fetcher.next();
      if (next === undefined) return;
      for (const b of next.batches) {
        for (const r of b.records) {
          samples.push(performance.timeOrigin + performance.now() - Number(r.value.readDoubleBE(0)));
          received++;
        }
        fetcher.release(b);
      }
    }
  })();
  // 5,000 records/s: every millisecond, the records due by now (each carrying its send time).
  const started = performance.now();
  let sent = 0;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
      while (sent < due) {
        const value = Buffer.alloc(recordSize);
        value.writeDoubleBE(performance.timeOrigin + performance.now(), 0);
        void producer.send({ topic, messages: [{ value, partition: 0 }] });
        sent++;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.race([reader, new Promise((r) => setTimeout(r, 10_000))]);
  await producer.disconnect();
  await fetcher.close();
  metadataCluster.close();
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? Number.NaN;
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), samples: samples.length };
}

async function main() {
  const profileDir =
    process.env.BENCH_PROFILE === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-prof-')) : undefined;
  const loadBefore = os.loadavg();
  const cluster = await LocalCluster.start({
    brokers: 3,
    controllers: 0,
    coordinators: 0,
    extraArgs: {
      broker: ['--log.level', 'warn', ...(process.env.BENCH_BROKER_ARGS ?? '').split(' ').filter(Boolean)],
    },
  });
  const etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  // Profiling: broker 0 (the leader of every bench partition) is restarted under --cpu-prof.
  let profiled;
  if (profileDir) {
    const b0 = cluster.brokers[0];
    await b0.stop();
    await waitFor(async () => (await etcd.ns.get(keys.brokerKey(0)).exec()).kvs.length === 0, {
      timeoutMs: 15_000,
    });
    const main = path.join(repoRoot, 'services', 'broker', 'dist', 'main.js');
    profiled = new ManagedProcess(
      'broker-0-profiled',
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, main, ...b0.args],
      { echo: false },
    );
    await waitFor(async () => (await checkHealth(b0.address)) === 'SERVING', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  }
  const cases = [];
  const steps = SIZES.length * (SETUPS.length * (SECONDS + LATENCY_SECONDS) + SECONDS);
  const bar = progress(steps, 's');
  let done = 0;
  const timed = async (label, secs, fn) => {
    const t0 = Date.now();
    const tick = () => bar.update(done + Math.min(secs, (Date.now() - t0) / 1000), label);
    const iv = setInterval(tick, 250);
    try {
      return await fn(tick);
    } finally {
      clearInterval(iv);
      done += secs;
      bar.update(done, label);
    }
  };
  try {
    for (const size of SIZES) {
      const raw = await timed(`raw gRPC ${size} B`, SECONDS, () => rawBaseline(size, SECONDS));
      cases.push({ name: `raw grpc-js bidi stream, ${size} B`, recordSize: size, kind: 'baseline', ...raw });
      for (const setup of SETUPS) {
        const topic = `bench-${size}-${setup.rf}-${Date.now().toString(36)}`;
        await createTopic(etcd, topic, setup.rf, PARTITIONS);
        const t = await timed(`${setup.name} ${size} B throughput`, SECONDS, (tick) =>
          throughput(cluster, topic, setup, size, SECONDS, tick),
        );
        const latTopic = `${topic}-lat`;
        await createTopic(etcd, latTopic, setup.rf, 1);
        const l = await timed(`${setup.name} ${size} B latency`, LATENCY_SECONDS, () =>
          latency(cluster, latTopic, setup, size, LATENCY_SECONDS),
        );
        cases.push({
          name: `${setup.name}, ${size} B`,
          recordSize: size,
          replicationFactor: setup.rf,
          acks: setup.acks,
          partitions: PARTITIONS,
          recordsPerSec: t.recordsPerSec,
          mbPerSec: t.mbPerSec,
          latencyAt5kPerSec: { p50Ms: l.p50, p99Ms: l.p99, p999Ms: l.p999, samples: l.samples },
        });
      }
    }
  } finally {
    bar.stop();
    etcd.close();
    await profiled?.stop(10_000);
    await cluster.stop();
  }
  let profile;
  if (profileDir) {
    const files = fs.readdirSync(profileDir).map((f) => path.join(profileDir, f));
    if (files[0]) {
      profile = { file: files[0], ...summarizeProfile(files[0]) };
      console.log(
        table(
          ['area', '% of broker CPU samples'],
          profile.byArea.slice(0, 12).map((a) => [a.area, a.pct]),
        ),
      );
      console.log(
        table(
          ['function (self time)', '%'],
          profile.top.slice(0, 20).map((t) => [t.fn, t.pct]),
        ),
      );
    }
  }
  const fmt = (n, d = 0) =>
    Number.isFinite(n)
      ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
      : '-';
  console.log(
    table(
      ['case', 'records/s', 'MB/s', 'p50 ms', 'p99 ms', 'p999 ms'],
      cases.map((c) => [
        c.name,
        fmt(c.recordsPerSec),
        fmt(c.mbPerSec, 1),
        fmt(c.latencyAt5kPerSec?.p50Ms, 2),
        fmt(c.latencyAt5kPerSec?.p99Ms, 2),
        fmt(c.latencyAt5kPerSec?.p999Ms, 2),
      ]),
    ),
  );
  const file = writeResults('produce', cases, {
    loadAverage: { before: loadBefore, after: os.loadavg() },
    ...(profile ? { brokerProfile: profile } : {}),
    settings: {
      seconds: SECONDS,
      latencySeconds: LATENCY_SECONDS,
      rate: RATE,
      partitions: PARTITIONS,
      batchSize: 256 * 1024,
      lingerMs: 5,
    },
  });
  console.log(
    `results: ${path.relative(process.cwd(), file)}; load average before/after ${loadBefore[0].toFixed(1)}/${os.loadavg()[0].toFixed(1)}`,
  );
}
