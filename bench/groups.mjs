// Consumer-group benchmark: one real etcd and one group-coordinator process on loopback.
//
//   npm run bench:groups            (BENCH_SECONDS (5) per commit phase, BENCH_RUNS (9) repeats of the others)
//
// 1. Commits/s one coordinator sustains with 100 members each committing its partition as fast
//    as the answers come back (members spread over child processes), beside etcd's own rate of
//    guarded txns (compare + put, what each commit would cost without coalescing) from 100
//    concurrent loops, measured in the same run (with those txns' p50 latency, and the p50 of one
//    guarded txn at a time: the floor under a commit's p50); with the coordinator's mean etcd write time (its
//    histogram) and the CPU ms per commit of the coordinator and of the member processes, which
//    show whether etcd or the calls themselves bound the loop (docs/performance.md).
//    A/B knobs: BENCH_COMMITS_ONLY=1 (this case only), BENCH_COORDINATOR_ARGS (coordinator flags),
//    BENCH_COMMIT_INTERVAL_MS (each member's pause between commits), BENCH_PIPELINE (8),
//    BENCH_COMMIT_VIA (`session`: commits on the members' GroupSession streams; `call`: a
//    CommitOffsets call each; `both`: the two interleaved, in alternating order round by round),
//    BENCH_ROUNDS (1: rounds of the commit cases, each with its own etcd baseline),
//    BENCH_WORKER_NODE_FLAGS (node flags of the member processes, e.g. `--cpu-prof
//    --cpu-prof-dir=/tmp/p`; TRIBUTARY_SERVICE_NODE_FLAGS does the same for the coordinator).
// 2. Time from a member process's kill -9 to its partitions being assigned to the other members.
// 3. Rebalance time when an 11th member joins 10, eager (range) vs cooperative-sticky, members
//    committing revoked partitions before confirming the revoke as a consumer does.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './lib/proc-usage.mjs';
import { progress, table, writeResults } from './lib/report.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

// test/lib/group-member.ts is the protocol-complete member the integration tests use; load it
// through @swc/core the way jest does.
const swc = require('@swc/core');
require.extensions['.ts'] = (module, file) =>
  module._compile(
    swc.transformSync(fs.readFileSync(file, 'utf8'), {
      filename: file,
      jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
      module: { type: 'commonjs' },
    }).code,
    file,
  );
const memberLib = path.join(here, '..', 'test', 'lib', 'group-member.ts');
const { TestGroupMember, spawnMemberProcess } = require(memberLib);

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 9));
const MEMBERS = 100;
const CLIENT_PROCS = Math.max(1, Number(process.env.BENCH_CLIENT_PROCS ?? 2));
const PIPELINE = Math.max(1, Number(process.env.BENCH_PIPELINE ?? 8));
/** BENCH_COMMIT_INTERVAL_MS: a member's pause between commits (0: as fast as answered), for a latency at a set rate. */
const COMMIT_INTERVAL_MS = Number(process.env.BENCH_COMMIT_INTERVAL_MS ?? 0);
/** BENCH_COMMITS_ONLY=1: only the commit throughput cases (for A/B runs). */
const COMMITS_ONLY = process.env.BENCH_COMMITS_ONLY === '1';
/**
 * BENCH_COMMIT_VIA: `session` (a commit message on the member's GroupSession stream), `call` (one
 * CommitOffsets call each) or `both` (interleaved in one run, for an A/B).
 */
const COMMIT_VIA = process.env.BENCH_COMMIT_VIA ?? 'session';
const VIAS = COMMIT_VIA === 'both' ? ['session', 'call'] : [COMMIT_VIA];
/** BENCH_ROUNDS: rounds of the commit cases (each round: etcd's baseline, then every via). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const WORKER_NODE_FLAGS = (process.env.BENCH_WORKER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** Extra coordinator flags, e.g. `--offsets.commit.window.ms 0` for an A/B run. */
const COORDINATOR_ARGS = (process.env.BENCH_COORDINATOR_ARGS ?? '').split(' ').filter(Boolean);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)];
};
const waitUntil = async (condition, timeoutMs, what) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

// ------------------------------------------------------------------------------------------------
// Worker mode: a child process hosting some of the committing members.
if (process.argv[2] === '--worker') {
  const { coordinators, groupId, topic, count } = JSON.parse(process.argv[3]);
  const members = Array.from(
    { length: count },
    () =>
      new TestGroupMember({
        coordinators,
        groupId,
        topics: [topic],
        sessionTimeoutMs: 30_000,
      }),
  );
  for (const m of members) void m.start();
  let running = false;
  const timer = setInterval(() => {
    const generations = new Set(members.map((m) => m.generation));
    const ok = members.every((m) => m.owned.size === 1) && generations.size === 1;
    process.send({ type: 'state', ok, generation: members[0].generation });
  }, 50);
  process.on('message', async (msg) => {
    if (msg.type === 'go') {
      clearInterval(timer);
      running = true;
      let commits = 0;
      let failures = 0;
      const cpu0 = process.cpuUsage();
      let firstError;
      const latencies = [];
      // `depth` commits in flight per member: 1 = await each commit (commitSync), more = commitAsync.
      await Promise.all(
        members.flatMap((m) => {
          let offset = 0;
          return Array.from({ length: msg.depth }, async () => {
            while (running) {
              const partitions = [...m.owned];
              const t = performance.now();
              try {
                await m.commit(Object.fromEntries(partitions.map((p) => [p, ++offset])), { via: msg.via });
                commits++;
                if (latencies.length < 200_000) latencies.push(performance.now() - t);
                if (COMMIT_INTERVAL_MS > 0) await new Promise((r) => setTimeout(r, COMMIT_INTERVAL_MS));
              } catch (err) {
                if (failures++ === 0) firstError = String(err?.message ?? err);
              }
            }
          });
        }),
      );
      const cpu = process.cpuUsage(cpu0);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      process.send({ type: 'done', commits, failures, latencies, cpuSeconds, firstError });
    } else if (msg.type === 'stop') {
      running = false;
    } else if (msg.type === 'leave') {
      await Promise.all(members.map((m) => m.leave()));
      process.exit(0);
    }
  });
} else {
  await main();
}

async function main() {
  const loadAtStart = Number(os.loadavg()[0].toFixed(2));
  const { LocalCluster } = require('../packages/test-kit/dist/index.js');
  const { connectEtcd, keys } = require('../packages/registry/dist/index.js');
  const cluster = await LocalCluster.start({
    brokers: 0,
    controllers: 0,
    coordinators: 1,
    leaseTtlSeconds: 2,
    metrics: true,
    extraArgs: {
      'group-coordinator': [
        '--group.initial.rebalance.delay.ms',
        '500',
        '--log.level',
        'warn',
        ...COORDINATOR_ARGS,
      ],
    },
  });
  const etcd = await connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
  const coordinators = cluster.coordinators.map((c) => c.address);
  const putTopic = (name, partitions) =>
    etcd.ns
      .put(keys.topicKey(name))
      .value(
        JSON.stringify({
          version: 1,
          name,
          topicId: randomUUID(),
          replicas: Array.from({ length: partitions }, () => [0]),
          configs: {},
          createdAt: Date.now(),
        }),
      )
      .exec();
  const revision = async () => Number((await etcd.ns.get('bench').exec()).header.revision);
  const bar = progress(ROUNDS * (1 + 2 * VIAS.length) * SECONDS + (COMMITS_ONLY ? 0 : 3 * RUNS), 'steps');
  let steps = 0;
  const step = (label) => {
    steps++;
    bar.update(steps, label);
  };
  const cases = [];
  try {
    // -- 1. commit throughput vs etcd's guarded-txn rate -------------------------------------
    await putTopic('bench-commits', MEMBERS);
    const workers = Array.from({ length: CLIENT_PROCS }, (_, i) => {
      const count = Math.floor(MEMBERS / CLIENT_PROCS) + (i < MEMBERS % CLIENT_PROCS ? 1 : 0);
      const spec = { coordinators, groupId: 'bench-committers', topic: 'bench-commits', count };
      return fork(fileURLToPath(import.meta.url), ['--worker', JSON.stringify(spec)], {
        stdio: 'inherit',
        execArgv: [...process.execArgv, ...WORKER_NODE_FLAGS],
      });
    });
    // Go once every member owns its one partition at the same generation.
    const states = new Map();
    await new Promise((resolve) => {
      for (const w of workers) {
        w.on('message', (m) => {
          if (m.type !== 'state') return;
          states.set(w, m);
          const all = [...states.values()];
          if (all.length === workers.length && all.every((x) => x.ok && x.generation === all[0].generation))
            resolve();
        });
      }
    });
    // The coordinator's own view of each coalesced etcd write (its histogram's sum and count).
    const writeStats = async () => {
      const text = await (await fetch(cluster.coordinators[0].metricsUrl)).text();
      const read = (suffix) =>
        Number(
          new RegExp(
            `^tributary_coordinator_offset_commit_write_duration_seconds_${suffix}(?:\\{[^}]*\\})? (\\S+)$`,
            'm',
          ).exec(text)?.[1] ?? 0,
        );
      return { sum: read('sum'), count: read('count') };
    };
    const throughput = async (depth, via) => {
      const r0 = await revision();
      const w0 = await writeStats();
      const coordinatorPid = cluster.coordinators[0].process.pid;
      const c0 = cpuSeconds(coordinatorPid);
      const done = workers.map(
        (w) =>
          new Promise((resolve) => {
            const onDone = (m) => {
              if (m.type !== 'done') return;
              w.off('message', onDone);
              resolve(m);
            };
            w.on('message', onDone);
          }),
      );
      const t0 = process.hrtime.bigint();
      for (const w of workers) w.send({ type: 'go', depth, via });
      for (let s = 0; s < SECONDS; s++) {
        await new Promise((r) => setTimeout(r, 1000));
        step(`commits via ${via}, ${depth} in flight per member`);
      }
      for (const w of workers) w.send({ type: 'stop' });
      const results = await Promise.all(done);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const txns = (await revision()) - r0;
      const commits = results.reduce((n, r) => n + r.commits, 0);
      const firstError = results.find((r) => r.firstError)?.firstError;
      if (firstError) process.stderr.write(`\ncommit failures, the first: ${firstError}\n`);
      const w1 = await writeStats();
      const perCommitMs = (cpu) => Number(((1000 * cpu) / Math.max(1, commits)).toFixed(3));
      return {
        cpuMsPerCommit: {
          coordinator: perCommitMs(cpuSeconds(coordinatorPid) - c0),
          members: perCommitMs(results.reduce((n, r) => n + r.cpuSeconds, 0)),
        },
        meanEtcdWriteMs: Number(((1000 * (w1.sum - w0.sum)) / Math.max(1, w1.count - w0.count)).toFixed(1)),
        commitsPerSec: Math.round(commits / seconds),
        coordinatorTxnsPerSec: Math.round(txns / seconds),
        commitsPerTxn: Number((commits / Math.max(1, txns)).toFixed(1)),
        p50LatencyMs: Number(median(results.flatMap((r) => r.latencies)).toFixed(1)),
        failedCommits: results.reduce((n, r) => n + r.failures, 0),
        seconds: Number(seconds.toFixed(2)),
      };
    };
    // etcd alone: each "commit" its own guarded txn, 100 concurrent loops, same duration.
    const guardKey = 'bench/guard';
    await etcd.ns.put(guardKey).value('x').exec();
    const guard = Number((await etcd.ns.get(guardKey).exec()).kvs[0].create_revision);
    const guardedTxn = (i, offset) =>
      etcd.ns
        .if(guardKey, 'Create', '==', guard)
        .then(etcd.ns.put(`bench/offsets/${i}`).value(JSON.stringify({ version: 1, offset })))
        .commit();
    const etcdBaseline = async () => {
      let etcdTxns = 0;
      let etcdRunning = true;
      const etcdLatencies = [];
      const e0 = process.hrtime.bigint();
      const loops = Array.from({ length: MEMBERS }, async (_, i) => {
        let offset = 0;
        while (etcdRunning) {
          const t = performance.now();
          await guardedTxn(i, ++offset);
          etcdLatencies.push(performance.now() - t);
          etcdTxns++;
        }
      });
      for (let s = 0; s < SECONDS; s++) {
        await new Promise((r) => setTimeout(r, 1000));
        step('etcd txns');
      }
      etcdRunning = false;
      await Promise.all(loops);
      const etcdSeconds = Number(process.hrtime.bigint() - e0) / 1e9;
      // The floor under any commit's latency: one guarded txn at a time, nothing else running
      // (a commit is answered only once durable in etcd).
      const alone = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await guardedTxn(0, i);
        alone.push(performance.now() - t);
      }
      return {
        name: `etcd guarded txn/s (compare + put: one commit per txn), ${MEMBERS} concurrent loops`,
        txnsPerSec: Math.round(etcdTxns / etcdSeconds),
        p50LatencyMs: Number(median(etcdLatencies).toFixed(1)),
        p50LatencyOneAtATimeMs: Number(median(alone).toFixed(1)),
      };
    };
    // Each round: etcd's own rate, then every via (the order alternating round by round, so
    // neither always runs first), awaited and pipelined; the member processes stay joined.
    for (let round = 1; round <= ROUNDS; round++) {
      const baseline = await etcdBaseline();
      const order = round % 2 === 1 ? VIAS : [...VIAS].reverse();
      for (const via of order) {
        const awaited = await throughput(1, via);
        const pipelined = await throughput(PIPELINE, via);
        cases.push({
          name: `commits/s, ${MEMBERS} members, each awaiting its commit before the next (one coordinator)`,
          via,
          round,
          ...awaited,
          baseline,
          ratio: Number((awaited.commitsPerSec / baseline.txnsPerSec).toFixed(2)),
        });
        cases.push({
          name: `commits/s, ${MEMBERS} members, ${PIPELINE} commits in flight each (one coordinator)`,
          via,
          round,
          ...pipelined,
          baseline,
          ratio: Number((pipelined.commitsPerSec / baseline.txnsPerSec).toFixed(2)),
        });
      }
    }
    for (const w of workers) w.send({ type: 'leave' });
    await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));

    if (!COMMITS_ONLY) {
      // -- 2. kill -9 of a member → its partitions assigned to the others ------------------------
      await putTopic('bench-kill', 12);
      const memberOptions = {
        coordinators,
        groupId: 'bench-kill',
        topics: ['bench-kill'],
        sessionTimeoutMs: 10_000,
      };
      const procs = [0, 1, 2].map(() => spawnMemberProcess(memberOptions));
      const cover = (list) => {
        const all = list.flatMap((p) => p.view()?.owned ?? []);
        return new Set(all).size === all.length && all.length === 12;
      };
      const killTimes = [];
      try {
        for (let run = 0; run < RUNS; run++) {
          await waitUntil(
            () => cover(procs) && procs.every((p) => p.view()?.owned.length === 4),
            30_000,
            'balanced',
          );
          const victim = procs.shift();
          const t = process.hrtime.bigint();
          victim.child.kill('SIGKILL');
          await waitUntil(() => cover(procs), 30_000, 'reassignment');
          killTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
          procs.push(spawnMemberProcess(memberOptions));
          step('kill -9');
        }
      } finally {
        await Promise.all(procs.map((p) => p.kill('SIGTERM')));
      }
      cases.push({
        name: 'member kill -9 → its partitions assigned to the survivors (3 member processes, 12 partitions)',
        medianMs: Number(median(killTimes).toFixed(1)),
        maxMs: Number(Math.max(...killTimes).toFixed(1)),
        runs: killTimes.length,
        sessionTimeoutMs: 10_000,
      });

      // -- 3. rebalance 10 → 11 members, eager vs cooperative-sticky -----------------------------
      const rebalance = async (assignor) => {
        const topic = `bench-rebalance-${assignor}`;
        await putTopic(topic, 100);
        const options = { coordinators, groupId: topic, topics: [topic], assignors: [assignor] };
        const members = Array.from({ length: 10 }, () => new TestGroupMember(options));
        let revoked = 0;
        for (const m of members) {
          m.onRevoke = async (partitions) => {
            revoked += partitions.length;
            await m.commit(Object.fromEntries(partitions.map((p) => [p, 1])));
          };
        }
        await Promise.all(members.map((m) => m.start()));
        const times = [];
        const revokes = [];
        for (let run = 0; run < RUNS; run++) {
          await waitUntil(() => members.every((m) => m.owned.size === 10), 30_000, '10 × 10');
          const generation = members[0].generation;
          revoked = 0;
          const extra = new TestGroupMember(options);
          const t = process.hrtime.bigint();
          await extra.start();
          const all = [...members, extra];
          await waitUntil(
            () =>
              all.every((m) => m.generation > generation) &&
              new Set(all.flatMap((m) => [...m.owned])).size === 100,
            30_000,
            'rebalanced',
          );
          times.push(Number(process.hrtime.bigint() - t) / 1e6);
          revokes.push(revoked);
          await extra.leave();
          step(assignor);
        }
        await Promise.all(members.map((m) => m.leave()));
        return {
          medianMs: Number(median(times).toFixed(1)),
          maxMs: Number(Math.max(...times).toFixed(1)),
          revoked: median(revokes),
        };
      };
      const eager = await rebalance('range');
      const sticky = await rebalance('cooperative-sticky');
      cases.push({
        name: 'rebalance 10 → 11 members, 100 partitions, eager (range)',
        ...eager,
        runs: RUNS,
      });
      cases.push({
        name: 'rebalance 10 → 11 members, 100 partitions, cooperative-sticky',
        ...sticky,
        runs: RUNS,
        baseline: { name: 'eager (range)', medianMs: eager.medianMs, revoked: eager.revoked },
        ratio: Number((sticky.medianMs / eager.medianMs).toFixed(2)),
      });
    }
  } finally {
    bar.stop();
    etcd.close();
    await cluster.stop();
  }

  const file = writeResults('groups', cases, {
    // Other processes compete for the same cores: the 1-minute load average at the end of the run.
    loadAverage: Number(os.loadavg()[0].toFixed(2)),
    loadAverageAtStart: loadAtStart,
    members: MEMBERS,
    secondsPerThroughputCase: SECONDS,
    clientProcesses: CLIENT_PROCS,
    commitVia: COMMIT_VIA,
    rounds: ROUNDS,
  });
  const rows = cases.map((c) => {
    if (c.commitsPerSec !== undefined) {
      return [
        `${c.name}, via ${c.via}, round ${c.round}`,
        `${c.commitsPerSec} commits/s, p50 ${c.p50LatencyMs} ms (${c.coordinatorTxnsPerSec} etcd txn/s, ${c.commitsPerTxn} commits/txn, ${c.meanEtcdWriteMs} ms/write; CPU ms/commit coordinator ${c.cpuMsPerCommit.coordinator}, members ${c.cpuMsPerCommit.members})`,
        `${c.baseline.txnsPerSec} txn/s (p50 ${c.baseline.p50LatencyMs} ms; one at a time ${c.baseline.p50LatencyOneAtATimeMs} ms)`,
        `${c.ratio}×`,
      ];
    }
    if (c.revoked !== undefined) {
      return [
        c.name,
        `median ${c.medianMs} ms, max ${c.maxMs} ms, ${c.revoked} partitions revoked`,
        c.baseline ? `${c.baseline.medianMs} ms, ${c.baseline.revoked} revoked` : '',
        c.ratio === undefined ? '' : `${c.ratio}×`,
      ];
    }
    return [
      c.name,
      `median ${c.medianMs} ms, max ${c.maxMs} ms`,
      `session timeout ${c.sessionTimeoutMs} ms`,
      '',
    ];
  });
  console.log(table(['case', 'figure', 'baseline', 'ratio'], rows));
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}
