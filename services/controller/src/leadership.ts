/**
 * Partition leadership over etcd: applies the decisions of partition-election.ts to many
 * partitions at once. Decisions are made from the controller's MetadataView, written in parallel
 * batches of up to 126 keys per txn (each key guarded by the mod revision it was decided from),
 * and a batch that conflicts (a leader rewrote its ISR meanwhile) is decided again from the
 * values the failed txn read back, a few rounds at most; whatever still conflicts is left to the
 * next pass, which the conflicting write's watch event triggers anyway.
 */

import type { MetadataView, PartitionState, Versioned } from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import type { MetadataWriter, PartitionWrite } from './metadata-writer';
import {
  type ElectionOutcome,
  electForShutdown,
  electPreferred,
  electUnclean,
  type PartitionFacts,
  reconcileLeadership,
} from './partition-election';
import { uncleanAllowed } from './topic-validation';

/** A partition's current state and the mod revision it was read at. */
export interface CurrentState {
  readonly state: PartitionState;
  readonly modRevision: number;
}

/** Decides the new state of one partition from its current one; undefined = leave it. */
export type Decide = (topic: string, partition: number, current: CurrentState) => PartitionState | undefined;

export interface LeadershipOptions {
  /** Move leadership back to preferred replicas as soon as they are live and in sync. */
  readonly autoPreferred: boolean;
  /** Decide-and-write rounds per call before leaving conflicts to the next pass. @default 5 */
  readonly maxRounds?: number;
  /** Told how many leader changes each write round made (metrics). */
  readonly onLeadersElected?: (count: number) => void;
}

export type ElectionType = 'preferred' | 'unclean';

/** One partition's ElectLeaders result. */
export interface ElectionResult {
  readonly topic: string;
  readonly partition: number;
  readonly outcome: 'elected' | 'not-needed' | 'not-available' | 'unknown';
  readonly message: string;
  readonly leader: number;
  readonly leaderEpoch: number;
}

/** What a controlled shutdown left: partitions the broker still leads, and how many moved. */
export interface ShutdownResult {
  readonly moved: number;
  readonly remaining: readonly { topic: string; partition: number }[];
}

export class Leadership {
  /**
   * Brokers in controlled shutdown: never chosen as preferred leader again until their
   * registration goes (a restarted broker registers anew and is welcome back).
   */
  readonly stopping = new Set<number>();

  constructor(
    private readonly view: MetadataView,
    private readonly writer: MetadataWriter,
    private readonly logger: Logger,
    private readonly options: LeadershipOptions,
  ) {}

  private facts(topic: string, partition: number, state: PartitionState): PartitionFacts | undefined {
    const record = this.view.topic(topic)?.value;
    const replicas = record?.replicas[partition];
    if (!record || record.deleting || !replicas) return undefined;
    return {
      replicas,
      state,
      live: new Set(this.view.brokers().keys()),
      uncleanAllowed: uncleanAllowed(record.configs),
    };
  }

  /**
   * Brings the given topics' partitions (every topic's by default) in line with the live
   * brokers: new leaders for dead ones, dead brokers out of the ISR, offline partitions led again
   * when an ISR member returns, and (with autoPreferred) preferred leaders back. Returns the
   * number of partitions written.
   */
  async reconcile(topics?: Iterable<string>): Promise<number> {
    const epoch = this.writer.epoch;
    const decide: Decide = (topic, partition, current) => {
      const facts = this.facts(topic, partition, current.state);
      if (!facts) return undefined;
      const changed = reconcileLeadership(facts, epoch);
      if (changed || !this.options.autoPreferred) return changed;
      const preferred = electPreferred(this.withoutStopping(facts), epoch);
      return preferred.kind === 'elected' ? preferred.state : undefined;
    };
    const candidates: [string, number, CurrentState][] = [];
    for (const topic of topics ?? this.view.allPartitions().keys()) {
      for (const [p, v] of this.view.partitions(topic)) candidates.push([topic, p, current(v)]);
    }
    const t0 = performance.now();
    const written = await this.decideAndWrite(candidates, decide);
    if (written.length > 0) {
      this.logger.info(
        { partitions: written.length, ms: Math.round(performance.now() - t0) },
        'partition leadership updated',
      );
    }
    return written.length;
  }

  /**
   * ControlledShutdown: moves leadership off `brokerId` to other in-sync replicas and takes it
   * out of every ISR (partition-election.ts `electForShutdown`); it stays out of preferred
   * elections until its registration goes.
   */
  async shutdown(brokerId: number): Promise<ShutdownResult> {
    this.stopping.add(brokerId);
    const epoch = this.writer.epoch;
    const candidates: [string, number, CurrentState][] = [];
    for (const [topic, partitions] of this.view.allPartitions()) {
      for (const [p, v] of partitions) {
        if (v.value.leader === brokerId || v.value.isr.includes(brokerId))
          candidates.push([topic, p, current(v)]);
      }
    }
    const written = await this.decideAndWrite(candidates, (topic, partition, cur) => {
      const facts = this.facts(topic, partition, cur.state);
      return facts && electForShutdown(facts, this.stopping, epoch);
    });
    const led = new Set(
      candidates.filter(([, , c]) => c.state.leader === brokerId).map(([t, p]) => `${t}/${p}`),
    );
    const moved = written.filter(
      (w) => led.has(`${w.topic}/${w.partition}`) && w.state.leader !== brokerId,
    ).length;
    const remaining: { topic: string; partition: number }[] = [];
    for (const [topic, partitions] of this.view.allPartitions()) {
      for (const [partition, v] of partitions) {
        if (v.value.leader === brokerId) remaining.push({ topic, partition });
      }
    }
    this.logger.info({ broker: brokerId, moved, remaining: remaining.length }, 'controlled shutdown');
    return { moved, remaining };
  }

  private withoutStopping(facts: PartitionFacts): PartitionFacts {
    if (this.stopping.size === 0) return facts;
    return { ...facts, live: new Set([...facts.live].filter((b) => !this.stopping.has(b))) };
  }

  /** ElectLeaders: preferred or unclean election for the named partitions (every one by default). */
  async elect(
    type: ElectionType,
    wanted?: readonly { topic: string; partition: number }[],
  ): Promise<ElectionResult[]> {
    const epoch = this.writer.epoch;
    const targets =
      wanted ??
      [...this.view.topics()]
        .filter(([, t]) => !t.value.deleting)
        .flatMap(([topic, t]) => t.value.replicas.map((_, partition) => ({ topic, partition })));
    const outcomes = new Map<string, ElectionOutcome>();
    const id = (topic: string, partition: number) => `${topic}/${partition}`;
    const results = new Map<string, ElectionResult>();
    const candidates: [string, number, CurrentState][] = [];
    for (const { topic, partition } of targets) {
      const state = this.view.partition(topic, partition);
      if (!state || !this.facts(topic, partition, state.value)) {
        results.set(id(topic, partition), {
          topic,
          partition,
          outcome: 'unknown',
          message: `Unknown topic or partition: ${topic}-${partition}`,
          leader: -1,
          leaderEpoch: -1,
        });
      } else candidates.push([topic, partition, current(state)]);
    }
    const decide: Decide = (topic, partition, cur) => {
      const facts = this.facts(topic, partition, cur.state)!;
      const outcome = type === 'preferred' ? electPreferred(facts, epoch) : electUnclean(facts, epoch);
      outcomes.set(id(topic, partition), outcome);
      return outcome.kind === 'elected' ? outcome.state : undefined;
    };
    const written = new Map(
      (await this.decideAndWrite(candidates, decide)).map((w) => [id(w.topic, w.partition), w]),
    );
    for (const [topic, partition] of candidates) {
      const key = id(topic, partition);
      const outcome = outcomes.get(key);
      const write = written.get(key);
      const now = write?.state ?? this.view.partition(topic, partition)?.value;
      const base = { topic, partition, leader: now?.leader ?? -1, leaderEpoch: now?.leaderEpoch ?? -1 };
      if (write) {
        const unclean = outcome?.kind === 'elected' && outcome.unclean;
        results.set(key, {
          ...base,
          outcome: 'elected',
          message: unclean ? 'Unclean election: records may be lost' : '',
        });
      } else if (outcome?.kind === 'not-available') {
        results.set(key, { ...base, outcome: 'not-available', message: outcome.reason });
      } else if (outcome?.kind === 'not-needed') {
        results.set(key, {
          ...base,
          outcome: 'not-needed',
          message:
            type === 'preferred' ? 'The preferred replica already leads' : 'The partition has a live leader',
        });
      } else {
        results.set(key, {
          ...base,
          outcome: 'not-available',
          message: 'The partition kept changing; retry',
        });
      }
    }
    return targets.map(({ topic, partition }) => results.get(id(topic, partition))!);
  }

  /**
   * Decides each candidate, writes the changes in guarded batches, and decides again from the
   * read-back state where a batch conflicted. Waits until the view reflects the writes, so the
   * next decision (and a request's answer) sees them. Returns what was written.
   */
  async decideAndWrite(
    candidates: readonly [string, number, CurrentState][],
    decide: Decide,
  ): Promise<PartitionWrite[]> {
    const written: PartitionWrite[] = [];
    let pending = candidates;
    let revision = 0;
    for (let round = 0; pending.length > 0 && round < (this.options.maxRounds ?? 5); round++) {
      // Leader changes first: they end unavailability; ISR-only changes (a dead follower
      // leaving) can follow a round trip later.
      const leaderChanges: PartitionWrite[] = [];
      const isrChanges: PartitionWrite[] = [];
      for (const [topic, partition, cur] of pending) {
        const state = decide(topic, partition, cur);
        if (!state) continue;
        const write = { topic, partition, state, modRevision: cur.modRevision };
        (state.leader !== cur.state.leader ? leaderChanges : isrChanges).push(write);
      }
      if (leaderChanges.length + isrChanges.length === 0) break;
      // The partition keys' mod revisions are guard enough: a deleted (or deleted and re-created)
      // topic's partition keys are gone (or have newer revisions).
      const first = await this.writer.writePartitions(leaderChanges);
      const elected = first.written.filter((w) => w.state.leader >= 0).length;
      if (elected > 0) this.options.onLeadersElected?.(elected);
      const second = await this.writer.writePartitions(isrChanges);
      const result = {
        written: [...first.written, ...second.written],
        conflicts: [...first.conflicts, ...second.conflicts],
        revision: Math.max(first.revision, second.revision),
      };
      written.push(...result.written);
      revision = Math.max(revision, result.revision);
      pending = result.conflicts.flatMap((c) =>
        c.current ? [[c.write.topic, c.write.partition, c.current] as [string, number, CurrentState]] : [],
      );
      if (pending.length > 0)
        this.logger.debug({ conflicts: pending.length, round }, 'partition writes conflicted');
    }
    if (revision > 0) await this.view.waitForRevision('partitions', revision, 2000);
    return written;
  }
}

function current(v: Versioned<PartitionState>): CurrentState {
  return { state: v.value, modRevision: v.modRevision };
}
