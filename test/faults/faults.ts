/**
 * The fault cases of `npm run test:faults`. Each injects one fault, bounded in time, while the
 * workload runs; the runner heals the cluster afterwards (restarts, SIGCONT, links and routes
 * back) and checks the history. A case may add required checks of its own (`ctx.fail`), e.g. that
 * a full disk answers produce with a clear storage error; timings worth reporting go to
 * `ctx.note` and `ctx.figures`.
 */
import { closeSync, existsSync, openSync, unlinkSync, watch, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Tributary } from '@tributary/client';
import { waitFor } from '@tributary/test-kit';
import type { ClusterProcess, FaultCluster } from './harness';
import { degradeClientLink } from './namespaces';
import { errorName, type Workload } from './workload';

export interface FaultContext {
  cluster: FaultCluster;
  workload: Workload;
  topic: string;
  partitions: number;
  leaseMs: number;
  note(text: string): void;
  /** Notes with their time (performance.now(), the clock of the workload's history). */
  timeline: { at: number; text: string }[];
  /** A required check of this fault failed: the case fails even without anomalies. */
  fail(text: string): void;
  /** Named timings (ms) for the table's notes and faults.json. */
  figures: Record<string, number>;
}

export interface FaultCase {
  name: string;
  /** Topic settings the case needs (tiny segments for rolls, retention by bytes ...). */
  topicConfigs?: Record<string, string>;
  inject(ctx: FaultContext): Promise<void>;
}

/**
 * Keeps a fault in place for `ms`. This is the fault's duration, chosen by the case, not a wait
 * for a condition (those use waitFor).
 */
const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Past the lease: the process's ephemeral keys expire while it is stopped or cut off. */
const pastLease = (ctx: FaultContext) => 2 * ctx.leaseMs + 1000;

/** Partitions `broker` leads now. */
async function ledBy(ctx: FaultContext, broker: ClusterProcess): Promise<number[]> {
  const states = await ctx.cluster.partitionStates(ctx.topic);
  return [...states].filter(([, s]) => String(s.leader) === broker.id).map(([p]) => p);
}

/**
 * Waits until every partition in `partitions` has an acknowledgement newer than `since` and
 * records how long that took (the issue's goal: within the lease TTL plus 1 s after a leader dies).
 */
async function measureResumption(ctx: FaultContext, partitions: number[], since: number, figure: string) {
  // Only sends issued after the fault count: an answer already on its way when a leader died
  // says nothing about failover.
  const firstAck = (p: number) => ctx.workload.firstAckOfSendAfter(p, since);
  try {
    await waitFor(() => partitions.every((p) => firstAck(p) !== undefined), {
      timeoutMs: 30_000,
      intervalMs: 50,
      description: `writes to partitions ${partitions.join(',')} to resume`,
    });
    ctx.figures[figure] = Math.round(Math.max(...partitions.map((p) => firstAck(p)!)) - since);
    ctx.note(`${figure} ${ctx.figures[figure]} ms (goal: lease TTL + 1 s = ${ctx.leaseMs + 1000} ms)`);
  } catch {
    ctx.fail(`writes to partitions ${partitions.join(',')} did not resume within 30 s`);
  }
}

function killCase(name: string, pick: (ctx: FaultContext) => Promise<ClusterProcess>): FaultCase {
  return {
    name,
    async inject(ctx) {
      const victim = await pick(ctx);
      const led = victim.role === 'broker' ? await ledBy(ctx, victim) : [];
      ctx.note(`kill -9 ${victim.label}${led.length ? ` (leader of ${led.join(',')})` : ''}`);
      const at = performance.now();
      await victim.kill();
      if (led.length > 0) await measureResumption(ctx, led, at, 'writes resumed after');
      await hold(Math.max(0, at + pastLease(ctx) - performance.now()));
    },
  };
}

function pauseCase(name: string, pick: (ctx: FaultContext) => Promise<ClusterProcess>): FaultCase {
  return {
    name,
    async inject(ctx) {
      const victim = await pick(ctx);
      const led = victim.role === 'broker' ? await ledBy(ctx, victim) : [];
      const ms = pastLease(ctx);
      ctx.note(`SIGSTOP ${victim.label} for ${ms} ms${led.length ? ` (leader of ${led.join(',')})` : ''}`);
      const at = performance.now();
      victim.pause();
      const resumed = led.length > 0 ? measureResumption(ctx, led, at, 'writes resumed after') : undefined;
      await hold(ms);
      victim.resume();
      ctx.note(`SIGCONT ${victim.label}`);
      await resumed;
    },
  };
}

const partitionLeader = (ctx: FaultContext) => ctx.cluster.leaderOf(ctx.topic, 0);
const groupCoordinator = (ctx: FaultContext) => ctx.cluster.groupCoordinator(ctx.workload.group);

/** Fills a disk to the last byte (1 MiB writes, then smaller ones) with one file. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (let size = 1 << 20; size >= 1; size >>= 4) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

let probes = 0;

/**
 * One acks=all send of `bytes` with a short delivery timeout, to see what the producer is told.
 * A full tmpfs still takes writes into pages already allocated, so a probe meant to hit the
 * full disk is large.
 */
async function probeSend(
  ctx: FaultContext,
  partition: number,
  deliveryTimeoutMs: number,
  bytes = 16,
): Promise<string> {
  const client = new Tributary({
    bootstrap: ctx.cluster.bootstrap,
    clientId: 'fault-probe',
    requestTimeoutMs: 5000,
  });
  try {
    const producer = client.producer({ acks: -1, idempotent: true, deliveryTimeoutMs, ackTimeoutMs: 2000 });
    const value = `probe-${probes++}-`.padEnd(bytes, 'x');
    await producer.send({ topic: ctx.topic, messages: [{ partition, value }] });
    return 'ok';
  } catch (err) {
    return `${errorName(err)}: ${(err as Error)?.message ?? err}`;
  } finally {
    await client.close();
  }
}

/**
 * Kills the leader of partition 0 the moment its log directory shows the event `when` picks
 * (a new segment file: a roll; a segment file gone: a retention delete), or after 10 s anyway.
 */
function killOnFileEvent(
  name: string,
  what: string,
  topicConfigs: Record<string, string>,
  when: (dir: string, file: string) => boolean,
  // fs.watch reports creations and deletions as 'rename'; appends to the active segment as 'change'.
): FaultCase {
  return {
    name,
    topicConfigs,
    async inject(ctx) {
      const victim = await partitionLeader(ctx);
      const dir = join(ctx.cluster.brokerDataDirs[Number(victim.id)]!, `${ctx.topic}-0`);
      let seen = '';
      await new Promise<void>((resolve) => {
        const watcher = watch(dir, (event, file) => {
          if (event === 'rename' && file && when(dir, file.toString())) {
            seen = file.toString();
            watcher.close();
            resolve();
          }
        });
        setTimeout(() => {
          watcher.close();
          resolve();
        }, 10_000).unref();
      });
      if (seen) ctx.note(`kill -9 ${victim.label} at ${what} (${seen})`);
      else ctx.fail(`${what} was not seen in ${dir} within 10 s`);
      const at = performance.now();
      const led = await ledBy(ctx, victim);
      await victim.kill();
      await measureResumption(ctx, led.length > 0 ? led : [0], at, 'writes resumed after');
      await hold(Math.max(0, at + pastLease(ctx) - performance.now()));
    },
  };
}

const SEGMENT_LOG = /^\d{20}\.log$/;
const TINY_SEGMENTS = { 'segment.bytes': '4096' };

/** Every fault case, in the order the suite runs them. */
export const FAULT_CASES: FaultCase[] = [
  { name: 'none (baseline)', inject: () => hold(5000) },
  killCase('kill -9 broker (a leader)', partitionLeader),
  pauseCase('SIGSTOP broker past lease', partitionLeader),
  killCase('kill -9 active controller', (ctx) => ctx.cluster.activeController()),
  pauseCase('SIGSTOP active controller past lease', (ctx) => ctx.cluster.activeController()),
  killCase('kill -9 group coordinator', groupCoordinator),
  pauseCase('SIGSTOP group coordinator past lease', groupCoordinator),
  killCase('kill -9 etcd leader', (ctx) => ctx.cluster.etcdLeader()),
  pauseCase('SIGSTOP etcd leader past lease', (ctx) => ctx.cluster.etcdLeader()),
  {
    name: 'leader cut off from etcd',
    async inject(ctx) {
      const victim = await partitionLeader(ctx);
      const led = await ledBy(ctx, victim);
      ctx.note(
        `${victim.label} (leader of ${led.join(',')}) cannot reach etcd for ${pastLease(ctx)} ms; clients still reach it`,
      );
      const at = performance.now();
      victim.ns.blackhole(ctx.cluster.etcd.map((e) => e.ns.address));
      const resumed = measureResumption(ctx, led, at, 'writes resumed after');
      await hold(pastLease(ctx));
      victim.ns.clearBlackholes();
      ctx.note(`${victim.label} reaches etcd again`);
      await resumed;
    },
  },
  {
    name: 'leader cut off from followers',
    async inject(ctx) {
      const victim = await partitionLeader(ctx);
      const others = ctx.cluster.brokers.filter((b) => b !== victim);
      const ms = pastLease(ctx) + 2000;
      ctx.note(`${victim.label} and the other brokers cannot reach each other for ${ms} ms`);
      victim.ns.blackhole(others.map((b) => b.ns.address));
      for (const b of others) b.ns.blackhole([victim.ns.address]);
      await hold(ms);
    },
  },
  {
    name: 'etcd minority cut off',
    async inject(ctx) {
      const victim = await ctx.cluster.etcdLeader();
      ctx.note(`${victim.label} (raft leader) cut off from everyone for ${pastLease(ctx)} ms`);
      victim.ns.setLink(false);
      await hold(pastLease(ctx));
    },
  },
  {
    name: 'slow, lossy client link',
    async inject(ctx) {
      // tbf: 200 kbit/s with at most 100 ms of queue; the workload needs more, so packets queue
      // (delay) and overflow (loss). This kernel has no netem.
      ctx.note('client -> cluster link: tbf 200kbit, 100 ms queue (delay and tail drops) for 8 s');
      degradeClientLink('200kbit', '100ms');
      await hold(8000);
    },
  },
  {
    name: 'broker data disk full',
    async inject(ctx) {
      const victim = await partitionLeader(ctx);
      const filler = join(ctx.cluster.brokerDataDirs[Number(victim.id)]!, 'filler');
      ctx.note(`${victim.label}'s data tmpfs filled`);
      fillDisk(filler);
      const answer = await probeSend(ctx, 0, 3000, 256 * 1024);
      ctx.note(`produce to the full broker: ${answer.slice(0, 160)}`);
      if (!answer.startsWith('STORAGE_ERROR') && !answer.startsWith('KAFKA_STORAGE_ERROR'))
        ctx.fail(`produce to a full disk did not answer STORAGE_ERROR: ${answer.slice(0, 200)}`);
      await hold(3000);
      unlinkSync(filler);
      const at = performance.now();
      try {
        let last = '';
        await waitFor(
          async () => {
            last = await probeSend(ctx, 0, 3000);
            return last === 'ok';
          },
          {
            timeoutMs: 20_000,
            intervalMs: 500,
            description: 'produce to succeed once space returned',
          },
        );
        ctx.figures['served again after'] = Math.round(performance.now() - at);
        ctx.note(`serves again ${ctx.figures['served again after']} ms after space returned (last: ${last})`);
      } catch {
        ctx.fail('the broker did not serve produce within 20 s of space returning');
      }
    },
  },
  killOnFileEvent(
    'kill -9 during segment roll',
    'a segment roll',
    TINY_SEGMENTS,
    (dir, file) => SEGMENT_LOG.test(file) && existsSync(join(dir, file)),
  ),
  killOnFileEvent(
    'kill -9 during retention deletes',
    'a retention delete',
    { ...TINY_SEGMENTS, 'retention.bytes': '8192' },
    (dir, file) =>
      SEGMENT_LOG.test(file.replace(/\.deleted$/, '')) &&
      (file.endsWith('.deleted') || !existsSync(join(dir, file))),
  ),
];
