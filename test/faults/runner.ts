/**
 * `npm run test:faults`: starts the cluster in network namespaces once, then runs every fault
 * case of faults.ts under the workload, each on a fresh topic and group: create the topic, start
 * the workload, inject the fault, heal, let writes resume, stop writing, let the group finish
 * reading, read every partition once more from the start, check. Prints the table, writes
 * bench/results/faults.json and ends with `N passed, N failed` (a case passes with zero
 * anomalies and its own checks met).
 *
 * `-- --soak 10m` instead runs random faults from the list for that long (results in
 * bench/results/faults-soak.json); `-- --only <text>[,<text>...]` runs the cases whose name contains one of them.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tributary } from '@tributary/client';
import { repoRoot, waitFor } from '@tributary/test-kit';
import { type CheckResult, checkHistory, hasAnomalies } from './checker';
import { FAULT_CASES, type FaultCase, type FaultContext } from './faults';
import { FaultCluster } from './harness';
import { removeLeftovers } from './namespaces';
import { Workload } from './workload';

const LEASE_TTL_SECONDS = 2;
const PARTITIONS = 6;

interface CaseOutcome {
  name: string;
  seconds: number;
  result: CheckResult | undefined;
  failures: string[];
  notes: string[];
  figures: Record<string, number>;
  passed: boolean;
}

/** `10m`, `90s`, `1h` -> ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`--soak takes a duration like 10m, 90s or 1h, not "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

const log = (text: string) => process.stderr.write(`${text}\n`);

async function runCase(
  cluster: FaultCluster,
  admin: ReturnType<Tributary['admin']>,
  index: number,
  fault: FaultCase,
) {
  const started = performance.now();
  const outcome: CaseOutcome = {
    name: fault.name,
    seconds: 0,
    result: undefined,
    failures: [],
    notes: [],
    figures: {},
    passed: false,
  };
  const topic = `faults-${index}-${fault.name
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/-+$/, '')
    .toLowerCase()}`.slice(0, 60);
  const group = `${topic}-group`;
  log(`[${index}] ${fault.name}: topic ${topic}`);
  const workload = new Workload({
    bootstrap: cluster.bootstrap,
    topic,
    partitions: PARTITIONS,
    group,
    producers: 3,
    consumers: 2,
    ratePerProducer: 100,
    maxPendingPerProducer: 1000,
    deliveryTimeoutMs: 30_000,
  });
  const ctx: FaultContext = {
    cluster,
    workload,
    topic,
    partitions: PARTITIONS,
    leaseMs: LEASE_TTL_SECONDS * 1000,
    timeline: [],
    note: (text) => {
      ctx.timeline.push({ at: Math.round(performance.now()), text });
      outcome.notes.push(text);
      log(`    ${text}`);
    },
    fail: (text) => {
      outcome.failures.push(text);
      log(`    FAILED: ${text}`);
    },
    figures: outcome.figures,
  };
  try {
    await admin.createTopics([
      {
        name: topic,
        numPartitions: PARTITIONS,
        replicationFactor: 3,
        configs: { 'min.insync.replicas': '2', ...fault.topicConfigs },
      },
    ]);
    await waitFor(
      async () => {
        const states = await cluster.partitionStates(topic);
        return (
          states.size === PARTITIONS && [...states.values()].every((s) => s.leader >= 0 && s.isr.length === 3)
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, description: `${topic}: every partition led with a full ISR` },
    );
    await workload.start();
    await waitFor(() => workload.acknowledged >= 100, {
      timeoutMs: 20_000,
      description: 'the workload to warm up',
    });
    try {
      await fault.inject(ctx);
    } catch (err) {
      ctx.fail(`injecting the fault failed: ${(err as Error).message}`);
    }
    await cluster.heal().catch((err) => ctx.fail(`healing: ${(err as Error).message}`));
    const healed = performance.now();
    try {
      await waitFor(
        () => Array.from({ length: PARTITIONS }, (_, p) => p).every((p) => workload.lastAckAt(p) > healed),
        { timeoutMs: 30_000, intervalMs: 100, description: 'writes to every partition after healing' },
      );
    } catch {
      ctx.fail('writes to some partition did not resume within 30 s of healing');
    }
    await workload.stopWriting();
    if (!(await workload.waitConsumed(20_000)))
      ctx.note('the group had not read everything after 20 s (the final read decides)');
    let logStarts = new Map<number, number>();
    try {
      logStarts = await workload.finalRead(30_000);
    } catch (err) {
      ctx.fail(`final read: ${(err as Error).message}`);
    }
    outcome.result = checkHistory(workload.history(logStarts));
    if (hasAnomalies(outcome.result)) {
      // The evidence: every send, acknowledgement and read, with the case's timeline.
      const file = join(tmpdir(), `${topic}-history.json`);
      writeFileSync(
        file,
        JSON.stringify({ notes: outcome.notes, timeline: ctx.timeline, ...workload.history(logStarts) }),
      );
      ctx.note(`history written to ${file}`);
    }
    const errors = [...workload.errors].map(([code, n]) => `${code} x${n}`).join(', ');
    if (errors) ctx.note(`failed sends: ${errors}`);
    for (const example of outcome.result.examples) ctx.note(example);
  } catch (err) {
    ctx.fail((err as Error).message);
  } finally {
    await workload.close();
    await cluster.heal().catch((err) => ctx.fail(`healing: ${(err as Error).message}`));
    await admin.deleteTopics([topic]).catch(() => undefined);
  }
  outcome.seconds = Math.round((performance.now() - started) / 100) / 10;
  outcome.passed =
    outcome.result !== undefined && !hasAnomalies(outcome.result) && outcome.failures.length === 0;
  const r = outcome.result;
  log(
    `    ${outcome.passed ? 'passed' : 'FAILED'} in ${outcome.seconds} s` +
      (r
        ? `: ${r.acknowledged}/${r.operations} acknowledged/operations, lost ${r.lost}, duplicated ${r.duplicated}, reordered ${r.reordered}, inconsistent ${r.inconsistent}, split ownership ${r.splitOwnership}, longest unavailability ${r.longestUnavailableMs} ms`
        : ''),
  );
  return outcome;
}

/** Runs the suite; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { soak: { type: 'string' }, only: { type: 'string' } },
  });
  const report = await import(join(repoRoot, 'bench', 'lib', 'report.mjs'));
  const soakMs = values.soak === undefined ? undefined : parseDuration(values.soak);
  const wanted = values.only?.split(',').map((w) => w.trim());
  const cases = FAULT_CASES.filter((c) => wanted === undefined || wanted.some((w) => c.name.includes(w)));
  if (cases.length === 0) throw new Error(`no fault case matches "${values.only}"`);

  const t0 = performance.now();
  log('starting etcd x3, controller x2, broker x3, group coordinator x2 in network namespaces trf-* ...');
  const cluster = await FaultCluster.start({
    leaseTtlSeconds: LEASE_TTL_SECONDS,
    brokerDiskMiB: 64,
    brokerArgs: ['--replica.lag.time.max.ms', '3000', '--log.retention.check.interval.ms', '250'],
  });
  const interrupted = () => {
    void cluster.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const client = new Tributary({ bootstrap: cluster.bootstrap, clientId: 'fault-admin' });
  const outcomes: CaseOutcome[] = [];
  try {
    const admin = client.admin();
    await waitFor(async () => (await admin.describeCluster()).brokers.length === 3, {
      timeoutMs: 30_000,
      description: 'three brokers registered',
    });
    log(`cluster ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    if (soakMs === undefined) {
      for (const [i, fault] of cases.entries()) outcomes.push(await runCase(cluster, admin, i, fault));
    } else {
      const faults = cases.filter((c) => c.name !== 'none (baseline)');
      const deadline = performance.now() + soakMs;
      for (let i = 0; performance.now() < deadline; i++) {
        const fault = faults[Math.floor(Math.random() * faults.length)]!;
        const outcome = await runCase(cluster, admin, i, fault);
        outcomes.push({ ...outcome, name: `soak ${i + 1}: ${outcome.name}` });
      }
    }
  } finally {
    await client.close();
    await cluster.stop();
    removeLeftovers();
  }

  const head = [
    'fault',
    'operations',
    'acknowledged',
    'lost',
    'duplicated',
    'reordered',
    'inconsistent',
    'split ownership',
    'longest unavailability ms',
    'seconds',
    'result',
  ];
  const rows = outcomes.map((o) => {
    const r = o.result;
    const n = (v: number | undefined) => (v === undefined ? '-' : String(v));
    return [
      o.name,
      n(r?.operations),
      n(r?.acknowledged),
      n(r?.lost),
      n(r?.duplicated),
      n(r?.reordered),
      n(r?.inconsistent),
      n(r?.splitOwnership),
      n(r?.longestUnavailableMs),
      String(o.seconds),
      o.passed ? 'passed' : 'FAILED',
    ];
  });
  console.log(report.table(head, rows));
  for (const o of outcomes.filter((x) => !x.passed)) {
    console.log(`${o.name} failed:`);
    for (const text of [...o.failures, ...(o.result?.examples ?? [])]) console.log(`  ${text}`);
  }
  const file = report.writeResults(
    soakMs === undefined ? 'faults' : 'faults-soak',
    outcomes.map((o) => ({
      name: o.name,
      passed: o.passed,
      seconds: o.seconds,
      ...o.result,
      figures: o.figures,
      notes: o.notes,
      failures: o.failures,
    })),
    {
      leaseTtlSeconds: LEASE_TTL_SECONDS,
      partitions: PARTITIONS,
      totalSeconds: Math.round((performance.now() - t0) / 1000),
    },
  );
  const passed = outcomes.filter((o) => o.passed).length;
  console.log(`results: ${file}; whole suite ${((performance.now() - t0) / 60_000).toFixed(1)} min`);
  console.log(`${passed} passed, ${outcomes.length - passed} failed`);
  return passed === outcomes.length ? 0 : 1;
}
