/**
 * The parts of creating and deleting a topic that outlive the request, so that a controller
 * which takes over finishes what its predecessor started (docs/controller.md, "Crash-resume"):
 *
 * - Creation: the topic record (with every partition's replicas) is written first, in the same
 *   txn as the first 127 partition keys; a topic with more partitions carries `creating: true`
 *   until the rest are written. A topic that is `creating`, or that lacks a partition key its
 *   record assigns, gets the missing keys (guarded by the topic's create revision and by each key
 *   being absent) and then loses the marker.
 * - Deletion: DeleteTopics only marks the record `deleting`. Brokers delete their data and
 *   acknowledge under `deletions/<topic>/<broker>`; once every live replica has (dead ones are
 *   not waited for, and no live one past `deletionTimeoutMs`), one txn removes the topic record,
 *   its partition keys and the acknowledgements.
 */
import { TributaryError } from '@tributary/errors';
import {
  keys,
  type MetadataView,
  type PartitionState,
  serializeRecord,
  type TopicRecord,
  type Versioned,
} from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { MAX_KEYS_PER_TXN, type MetadataWriter, type PartitionWrite } from './metadata-writer';
import { initialState, reconcileLeadership } from './partition-election';
import { uncleanAllowed } from './topic-validation';

export interface TopicLifecycleOptions {
  /** How long a deletion waits for live brokers' acknowledgements before removing the keys anyway. */
  readonly deletionTimeoutMs: number;
  /** Called when a deletion's deadline passes, so the controller runs another pass. */
  readonly recheck: (topic: string, afterMs: number) => void;
}

export class TopicLifecycle {
  /** When this controller first saw each topic being deleted. */
  private readonly deletingSince = new Map<string, number>();
  /** Topics with a deadline re-check scheduled. */
  private readonly rechecking = new Set<string>();

  constructor(
    private readonly view: MetadataView,
    private readonly writer: MetadataWriter,
    private readonly logger: Logger,
    private readonly options: TopicLifecycleOptions,
  ) {}

  /** Finishes whatever is pending for `topic` (creation or deletion). */
  async reconcile(topic: string): Promise<void> {
    const record = this.view.topic(topic);
    if (!record) {
      this.deletingSince.delete(topic);
      this.rechecking.delete(topic);
      return;
    }
    if (record.value.deleting) await this.continueDeletion(topic, record);
    else await this.completeCreation(topic, record);
  }

  /** The first state of a new partition, already adjusted to the live brokers. */
  startingState(topic: TopicRecord, replicas: readonly number[]): PartitionState {
    const state = initialState(replicas, this.writer.epoch);
    const live = new Set(this.view.brokers().keys());
    const adjusted = reconcileLeadership(
      { replicas, state, live, uncleanAllowed: uncleanAllowed(topic.configs) },
      this.writer.epoch,
    );
    return adjusted ? { ...adjusted, partitionEpoch: 0 } : state;
  }

  /**
   * Writes partition keys `partitions` of a topic whose record (create revision `createRevision`)
   * exists, each only if absent. Returns the highest revision written (0 if none).
   */
  async writeNewPartitions(
    topic: TopicRecord,
    createRevision: number,
    partitions: readonly number[],
  ): Promise<number> {
    const writes: PartitionWrite[] = partitions.map((p) => ({
      topic: topic.name,
      partition: p,
      state: this.startingState(topic, topic.replicas[p]!),
      modRevision: 0,
    }));
    const guard = { key: keys.topicKey(topic.name), target: 'Create' as const, revision: createRevision };
    const result = await this.writer.writePartitions(writes, [guard], MAX_KEYS_PER_TXN - 1);
    if (result.conflicts.length > 0) {
      // Some keys exist already (written by an earlier attempt) or the topic is gone: the view
      // catches up from the watch and the next pass decides again.
      this.logger.debug(
        { topic: topic.name, conflicts: result.conflicts.length },
        'partition creation conflicted',
      );
    }
    return result.revision;
  }

  private async completeCreation(name: string, record: Versioned<TopicRecord>): Promise<void> {
    const present = this.view.partitions(name);
    const missing = record.value.replicas.map((_, p) => p).filter((p) => !present.has(p));
    if (missing.length === 0 && !record.value.creating) return;
    this.logger.info({ topic: name, missing: missing.length }, 'finishing topic creation');
    let revision = 0;
    if (missing.length > 0)
      revision = await this.writeNewPartitions(record.value, record.createRevision, missing);
    if (revision > 0) await this.view.waitForRevision('partitions', revision, 2000);
    if (this.view.partitions(name).size < record.value.replicas.length) return; // next pass
    if (record.value.creating) {
      const { creating: _, ...done } = record.value;
      const result = await this.writer.commit(
        [{ key: keys.topicKey(name), target: 'Mod', revision: record.modRevision }],
        [{ kind: 'put', key: keys.topicKey(name), value: serializeRecord(done) }],
      );
      if (result.succeeded) await this.view.waitForRevision('topics', result.revision, 2000);
    }
  }

  private async continueDeletion(name: string, record: Versioned<TopicRecord>): Promise<void> {
    const now = Date.now();
    const since = this.deletingSince.get(name) ?? now;
    this.deletingSince.set(name, since);
    const live = this.view.brokers();
    const acks = this.view.deletionAcks(name);
    const replicaBrokers = new Set(record.value.replicas.flat());
    const waiting = [...replicaBrokers].filter(
      (b) => live.has(b) && acks.get(b)?.topicId !== record.value.topicId,
    );
    const remaining = since + this.options.deletionTimeoutMs - now;
    if (waiting.length > 0 && remaining > 0) {
      if (!this.rechecking.has(name)) {
        this.rechecking.add(name);
        this.options.recheck(name, remaining);
      }
      return;
    }
    if (waiting.length > 0) {
      this.logger.warn(
        { topic: name, waiting },
        'topic deletion timed out waiting for brokers; removing its keys',
      );
    }
    const result = await this.writer.commit(
      [{ key: keys.topicKey(name), target: 'Create', revision: record.createRevision }],
      [
        { kind: 'delete-prefix', prefix: keys.partitionsPrefix(name) },
        { kind: 'delete-prefix', prefix: keys.topicDeletionsPrefix(name) },
        { kind: 'delete', key: keys.topicKey(name) },
      ],
    );
    if (!result.succeeded) return;
    this.deletingSince.delete(name);
    this.rechecking.delete(name);
    this.logger.info({ topic: name, topicId: record.value.topicId }, 'topic deleted');
    await this.view.waitForRevision('topics', result.revision, 2000);
  }
}

/** Thrown by admin operations that must not proceed while a topic is being deleted. */
export function beingDeleted(topic: string): TributaryError {
  return new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${topic} is being deleted`);
}
