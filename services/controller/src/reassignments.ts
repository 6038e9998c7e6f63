/**
 * Partition reassignment over etcd (Kafka KIP-455; decisions in reassignment-decisions.ts).
 *
 * Every step rewrites two keys together: the topic record (its `replicas` of the partition) and
 * the partition key (its `reassignment`, ISR and leader). One txn per topic carries up to
 * `PARTITIONS_PER_TXN` partitions, guarded by the controller epoch, the topic record's mod
 * revision and each partition key's mod revision, so a leader's concurrent ISR change or another
 * admin write makes it conflict; it is then decided again from fresh reads (a few rounds).
 *
 * The state lives only in etcd, so a controller that takes over simply finds partitions with a
 * `reassignment` and completes them when their target is in sync: every pass of the controller
 * (watch events on partition keys, i.e. ISR expansions, and the periodic full pass) checks the
 * partitions it looks at.
 */
import { TributaryError } from '@tributary/errors';
import {
  isPartitionState,
  isTopicRecord,
  keys,
  type MetadataView,
  type PartitionState,
  parseRecord,
  serializeRecord,
} from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import type { Guard, MetadataWriter, WriteOp } from './metadata-writer';
import {
  cancelReassignment,
  completeReassignment,
  type ReassignmentFacts,
  type ReassignmentWrite,
  startReassignment,
  validateTarget,
} from './reassignment-decisions';

/** Partitions per txn: with the topic record and the epoch they fit etcd's 128 operations. */
const PARTITIONS_PER_TXN = 120;
/** Conflicting rounds before an item fails with REQUEST_TIMED_OUT. */
const MAX_ROUNDS = 5;

/** One requested change: a target replica list, or a cancellation. */
export interface ReassignmentRequest {
  readonly topic: string;
  readonly partition: number;
  /** The target replicas, or `cancel`. */
  readonly target: readonly number[] | 'cancel';
}

/** One partition being reassigned, as ListPartitionReassignments reports it. */
export interface OngoingReassignment {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly throttleBytesPerSec: number;
}

/** Decides one partition: a write, nothing (undefined), or a TributaryError thrown. */
type Decide = (facts: ReassignmentFacts) => ReassignmentWrite | undefined;

export class Reassignments {
  constructor(
    private readonly view: MetadataView,
    private readonly writer: MetadataWriter,
    private readonly logger: Logger,
  ) {}

  /**
   * AlterPartitionReassignments: starts, replaces, re-throttles or cancels each requested
   * partition's reassignment. Returns, per request item in order, undefined on success or the
   * error that left that partition unchanged.
   */
  async alter(
    requests: readonly ReassignmentRequest[],
    throttleBytesPerSec: number,
  ): Promise<(TributaryError | undefined)[]> {
    const results = new Array<TributaryError | undefined>(requests.length);
    const live = new Set(this.view.brokers().keys());
    const byTopic = new Map<string, Map<number, { index: number; decide: Decide }>>();
    const seen = new Set<string>();
    const epoch = this.writer.epoch;
    const now = Date.now();
    requests.forEach((r, index) => {
      try {
        const id = `${r.topic}/${r.partition}`;
        if (seen.has(id)) {
          throw new TributaryError(
            'INVALID_REQUEST',
            `Partition ${r.topic}-${r.partition} appears more than once in the request`,
          );
        }
        seen.add(id);
        const target = r.target;
        if (target !== 'cancel') validateTarget(target, live);
        const decide: Decide =
          target === 'cancel'
            ? (facts) => cancelReassignment(facts, epoch)
            : (facts) => startReassignment(facts, target, throttleBytesPerSec, now, epoch);
        let partitions = byTopic.get(r.topic);
        if (!partitions) {
          partitions = new Map();
          byTopic.set(r.topic, partitions);
        }
        partitions.set(r.partition, { index, decide });
      } catch (err) {
        results[index] = asTributaryError(err);
      }
    });
    for (const [topic, partitions] of byTopic) {
      const decides = new Map([...partitions].map(([p, { decide }]) => [p, decide]));
      const outcome = await this.rewrite(topic, decides);
      for (const [p, { index }] of partitions) results[index] = outcome.get(p);
    }
    const started = requests.filter((_, i) => results[i] === undefined).length;
    if (started > 0) this.logger.info({ partitions: started, throttleBytesPerSec }, 'reassignments altered');
    return results;
  }

  /** The reassignments in progress, of the given topics (every topic's by default), from the view. */
  list(topics?: ReadonlyMap<string, ReadonlySet<number> | undefined>): OngoingReassignment[] {
    const out: OngoingReassignment[] = [];
    for (const [topic, partitions] of this.view.allPartitions()) {
      const wanted = topics === undefined ? undefined : topics.get(topic);
      if (topics !== undefined && !topics.has(topic)) continue;
      const record = this.view.topic(topic)?.value;
      if (!record || record.deleting) continue;
      for (const [partition, v] of [...partitions].sort(([a], [b]) => a - b)) {
        const r = v.value.reassignment;
        if (!r || (wanted !== undefined && !wanted.has(partition))) continue;
        out.push({
          topic,
          partition,
          replicas: record.replicas[partition] ?? [],
          adding: r.adding,
          removing: r.removing,
          isr: v.value.isr,
          leader: v.value.leader,
          throttleBytesPerSec: r.throttleBytesPerSec,
        });
      }
    }
    return out;
  }

  /**
   * Completes the reassignments of the given topics (every topic's by default) whose target is in
   * sync. Checks against the view first, so a pass over partitions not moving costs no I/O.
   */
  async reconcile(topics?: Iterable<string>): Promise<number> {
    const live = new Set(this.view.brokers().keys());
    const epoch = this.writer.epoch;
    let completed = 0;
    for (const topic of topics ?? [...this.view.allPartitions().keys()]) {
      const record = this.view.topic(topic)?.value;
      if (!record || record.deleting) continue;
      const ready = new Map<number, Decide>();
      for (const [p, v] of this.view.partitions(topic)) {
        const replicas = record.replicas[p];
        if (!v.value.reassignment || !replicas) continue;
        if (completeReassignment({ replicas, state: v.value, live }, epoch))
          ready.set(p, (facts) => completeReassignment(facts, epoch));
      }
      if (ready.size === 0) continue;
      const outcome = await this.rewrite(topic, ready);
      const done = [...outcome].filter(([, err]) => err === undefined).map(([p]) => p);
      completed += done.length;
      if (done.length > 0) this.logger.info({ topic, partitions: done }, 'reassignment completed');
      for (const [p, err] of outcome) {
        if (err)
          this.logger.warn({ topic, partition: p, err: err.message }, 'reassignment not completed yet');
      }
    }
    return completed;
  }

  /**
   * Decides and writes partitions of one topic (topic record and partition keys together),
   * reading both straight from etcd. Returns per partition undefined (written, or nothing to
   * write) or the error that left it unchanged.
   */
  private async rewrite(
    topic: string,
    decides: ReadonlyMap<number, Decide>,
  ): Promise<Map<number, TributaryError | undefined>> {
    const results = new Map<number, TributaryError | undefined>();
    let pending = [...decides.keys()];
    let revision = 0;
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_ROUNDS) {
        for (const p of pending)
          results.set(
            p,
            new TributaryError('REQUEST_TIMED_OUT', `Partition ${topic}-${p} kept changing; retry`),
          );
        break;
      }
      const topicKey = keys.topicKey(topic);
      const topicKv = await this.writer.read(topicKey);
      const record = topicKv && parseRecord(topicKey, topicKv.value, isTopicRecord);
      if (!topicKv || !record || record.deleting) {
        const why = record?.deleting ? 'is being deleted' : 'does not exist';
        for (const p of pending)
          results.set(p, new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} ${why}`));
        break;
      }
      const live = new Set(this.view.brokers().keys());
      const chunk = pending.slice(0, PARTITIONS_PER_TXN);
      const states = await Promise.all(chunk.map((p) => this.writer.read(keys.partitionStateKey(topic, p))));
      const replicas = record.replicas.map((r) => [...r]);
      const guards: Guard[] = [{ key: topicKey, target: 'Mod', revision: Number(topicKv.mod_revision) }];
      const ops: WriteOp[] = [];
      const written: number[] = [];
      chunk.forEach((p, i) => {
        const kv = states[i];
        const current = replicas[p];
        try {
          if (!kv || !current) {
            throw new TributaryError(
              'UNKNOWN_TOPIC_OR_PARTITION',
              `Topic ${topic} has no partition ${p} (partitions: 0-${record.replicas.length - 1})`,
            );
          }
          const key = keys.partitionStateKey(topic, p);
          const state: PartitionState = parseRecord(key, kv.value, isPartitionState);
          const write = decides.get(p)!({ replicas: current, state, live });
          results.set(p, undefined);
          if (!write) return;
          replicas[p] = write.replicas;
          guards.push({ key, target: 'Mod', revision: Number(kv.mod_revision) });
          ops.push({ kind: 'put', key, value: serializeRecord(write.state) });
          written.push(p);
        } catch (err) {
          results.set(p, asTributaryError(err));
        }
      });
      const settled = chunk.filter((p) => !written.includes(p));
      if (written.length === 0) {
        pending = pending.filter((p) => !settled.includes(p));
        continue;
      }
      ops.push({ kind: 'put', key: topicKey, value: serializeRecord({ ...record, replicas }) });
      const result = await this.writer.commit(guards, ops);
      if (result.succeeded) {
        revision = Math.max(revision, result.revision);
        pending = pending.filter((p) => !chunk.includes(p));
        round = -1; // progress: the next chunk gets its own rounds
        continue;
      }
      // Conflict: the topic record or a partition key moved; decide the chunk again.
      for (const p of written) results.delete(p);
      pending = pending.filter((p) => !settled.includes(p));
      this.logger.debug({ topic, partitions: written.length, round }, 'reassignment write conflicted');
    }
    if (revision > 0) {
      await this.view.waitForRevision('topics', revision, 2000);
      await this.view.waitForRevision('partitions', revision, 2000);
    }
    return results;
  }
}

function asTributaryError(err: unknown): TributaryError {
  if (err instanceof TributaryError) return err;
  throw err;
}
