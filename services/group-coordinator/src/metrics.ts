/**
 * The group coordinator's metrics, named here once. Everything is read at scrape time from the
 * groups this coordinator owns, so the hot paths (heartbeats, commits) carry no metric code:
 * counters advance by what the groups' own tallies (rebalances, commit calls, etcd writes) moved
 * since the last scrape. Consumer lag is computed here, as kafka-exporter and Burrow do: the
 * partition's high watermark (ListOffsets latest, from its leader) minus the group's committed
 * offset.
 */

import { LATENCY_BUCKETS } from '@tributary/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** A group as the metrics see it. */
export interface GroupSnapshot {
  readonly id: string;
  readonly state: string;
  /** Completed rebalances since this coordinator took the group. */
  readonly rebalances: number;
  /** Commit calls accepted and etcd writes made by the group's commit coalescer. */
  readonly commitCalls: number;
  readonly commitWrites: number;
  /** Committed offsets: `[topic, partition, next offset to consume]`. */
  readonly committed: readonly (readonly [string, number, number])[];
}

export interface CoordinatorState {
  groups(): readonly GroupSnapshot[];
  /** High watermarks of the partitions, from their leaders; missing = unknown. */
  highWatermarks(partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, number>>;
}

const GROUP_STATES = ['EMPTY', 'REBALANCING', 'STABLE', 'DEAD'];

/** Adds to `counter` what each group's tally moved since the last scrape. */
function deltaCounter(counter: Counter, tally: (g: GroupSnapshot) => number, state: CoordinatorState) {
  const seen = new Map<string, number>();
  return () => {
    const now = new Map<string, number>();
    for (const g of state.groups()) {
      const value = tally(g);
      const before = seen.get(g.id) ?? 0;
      // A group dropped and claimed again starts its tally from 0.
      counter.inc(value >= before ? value - before : value);
      now.set(g.id, value);
    }
    seen.clear();
    for (const [k, v] of now) seen.set(k, v);
  };
}

export function createCoordinatorMetrics(registry: Registry, state: CoordinatorState) {
  const registers = [registry];
  const rebalances = new Counter({
    name: 'tributary_coordinator_rebalances_total',
    help: 'Rebalances completed (generations sent to members) in groups this coordinator owns.',
    registers,
  });
  const commitCalls = new Counter({
    name: 'tributary_coordinator_offset_commits_total',
    help: 'Offset commit calls accepted. Divided by tributary_coordinator_offset_commit_writes_total: the coalescing ratio.',
    registers,
  });
  const commitWrites = new Counter({
    name: 'tributary_coordinator_offset_commit_writes_total',
    help: 'Guarded etcd txns that wrote coalesced offset commits (one per group per window).',
    registers,
  });
  const advance = [
    deltaCounter(rebalances, (g) => g.rebalances, state),
    deltaCounter(commitCalls, (g) => g.commitCalls, state),
    deltaCounter(commitWrites, (g) => g.commitWrites, state),
  ];
  return {
    rebalances,
    commitCalls,
    commitWrites,
    groups: new Gauge({
      name: 'tributary_coordinator_groups',
      help: 'Consumer groups this coordinator owns, by state.',
      labelNames: ['state'] as const,
      registers,
      collect() {
        for (const f of advance) f();
        const counts = new Map(GROUP_STATES.map((s) => [s, 0]));
        for (const g of state.groups()) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
        for (const [s, n] of counts) this.set({ state: s }, n);
      },
    }),
    commitWriteDuration: new Histogram({
      name: 'tributary_coordinator_offset_commit_write_duration_seconds',
      help: 'Latency of one coalesced offset write to etcd; a commit call waits for the window plus this.',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    lag: new Gauge({
      name: 'tributary_coordinator_consumer_group_lag',
      help: 'Records between a group’s committed offset and the partition’s high watermark.',
      labelNames: ['group', 'topic', 'partition'] as const,
      registers,
      async collect() {
        this.reset();
        const groups = state.groups();
        const wanted = new Map<string, { topic: string; partition: number }>();
        for (const g of groups)
          for (const [topic, partition] of g.committed)
            wanted.set(`${topic}/${partition}`, { topic, partition });
        if (wanted.size === 0) return;
        const hw = await state.highWatermarks([...wanted.values()]).catch(() => new Map<string, number>());
        for (const g of groups) {
          for (const [topic, partition, offset] of g.committed) {
            const end = hw.get(`${topic}/${partition}`);
            if (end === undefined || end < 0) continue;
            this.set({ group: g.id, topic, partition: String(partition) }, Math.max(0, end - offset));
          }
        }
      },
    }),
  };
}

export type CoordinatorMetrics = ReturnType<typeof createCoordinatorMetrics>;
