/**
 * Topic administration: CreateTopics, CreatePartitions, DeleteTopics, AlterConfigs. Each topic
 * succeeds or fails on its own; everything is validated before the first write, so an invalid
 * topic leaves etcd untouched. Records to change are read straight from etcd (not the view, which
 * may lag) and written back guarded by the revision read, retrying a few times on a conflict.
 * Each operation waits until the controller's view reflects its writes, so a Describe that follows
 * sees them.
 */
import { randomUUID } from 'node:crypto';
import { TributaryError } from '@tributary/errors';
import {
  type IKeyValue,
  isTopicRecord,
  keys,
  type MetadataView,
  parseRecord,
  serializeRecord,
  type TopicRecord,
} from '@tributary/registry';
import type { Logger } from '@tributary/service-kit';
import { TOPIC_CONFIG_NAMES } from '@tributary/topic-config';
import { MAX_TXN_OPS, type MetadataWriter, type WriteOp } from './metadata-writer';
import { assignReplicas, startIndexOf } from './replica-assignment';
import type { TopicLifecycle } from './topic-lifecycle';
import {
  checkManualAssignment,
  checkPartitionCount,
  checkTopicConfigs,
  checkTopicName,
} from './topic-validation';

/** One topic of a CreateTopics request (0 = default, as in the proto). */
export interface TopicSpec {
  readonly name: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
  readonly assignments: readonly { partition: number; brokerIds: readonly number[] }[];
}

export interface CreatedTopic {
  readonly name: string;
  readonly topicId: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
}

/** One config change of AlterConfigs. */
export interface ConfigChange {
  readonly name: string;
  readonly op: 'set' | 'delete';
  readonly value: string;
}

export interface TopicAdminOptions {
  readonly defaultPartitions: number;
  readonly defaultReplicationFactor: number;
  /** Asks the controller to run a pass for the topic (deletion progress). */
  readonly touch: (topic: string) => void;
  readonly random?: () => number;
}

/** Partition keys written in a topic's first txn, beside the topic record. */
const FIRST_TXN_PARTITIONS = MAX_TXN_OPS - 1;
const RETRIES = 5;

export class TopicAdmin {
  constructor(
    private readonly view: MetadataView,
    private readonly writer: MetadataWriter,
    private readonly lifecycle: TopicLifecycle,
    private readonly logger: Logger,
    private readonly options: TopicAdminOptions,
  ) {}

  private liveBrokers() {
    return [...this.view.brokers().values()].map((b) => ({ id: b.id, rack: b.rack }));
  }

  /** Validates a topic and decides its replica assignment; throws the per-topic error. */
  plan(spec: TopicSpec): { replicas: number[][] } {
    checkTopicName(spec.name);
    checkTopicConfigs(spec.configs);
    if (spec.assignments.length > 0) {
      const rf = spec.assignments[0]!.brokerIds.length;
      if (
        (spec.numPartitions !== 0 && spec.numPartitions !== spec.assignments.length) ||
        (spec.replicationFactor !== 0 && spec.replicationFactor !== rf)
      ) {
        throw new TributaryError(
          'INVALID_REQUEST',
          `num_partitions (${spec.numPartitions}) and replication_factor (${spec.replicationFactor}) must be 0 or agree with the ${spec.assignments.length} assignments of ${rf} replicas`,
        );
      }
      return { replicas: checkManualAssignment(spec.assignments, new Set(this.view.brokers().keys())) };
    }
    const partitions = spec.numPartitions === 0 ? this.options.defaultPartitions : spec.numPartitions;
    const rf = spec.replicationFactor === 0 ? this.options.defaultReplicationFactor : spec.replicationFactor;
    checkPartitionCount(partitions);
    const replicas = assignReplicas({
      partitions,
      replicationFactor: rf,
      brokers: this.liveBrokers(),
      ...(this.options.random ? { random: this.options.random } : {}),
    });
    return { replicas };
  }

  /** Creates one topic (already planned); resolves once the view shows it. */
  async create(spec: TopicSpec, replicas: number[][], timeoutMs: number): Promise<CreatedTopic> {
    const record: TopicRecord = {
      version: 1,
      name: spec.name,
      topicId: randomUUID(),
      replicas,
      configs: { ...spec.configs },
      createdAt: Date.now(),
      ...(replicas.length > FIRST_TXN_PARTITIONS ? { creating: true } : {}),
    };
    const first = replicas.slice(0, FIRST_TXN_PARTITIONS).map((r, p) => this.partitionPut(record, p, r));
    const result = await this.writer.commit(
      [{ key: keys.topicKey(spec.name), target: 'Create', revision: 0 }],
      [{ kind: 'put', key: keys.topicKey(spec.name), value: serializeRecord(record) }, ...first],
    );
    if (!result.succeeded) {
      throw new TributaryError('TOPIC_ALREADY_EXISTS', `Topic ${spec.name} already exists`);
    }
    let revisions = { topics: result.revision, partitions: result.revision };
    if (record.creating)
      revisions = await this.finishPartitions(record, result.revision, result.revision, FIRST_TXN_PARTITIONS);
    this.logger.info(
      { topic: spec.name, partitions: replicas.length, rf: replicas[0]!.length },
      'topic created',
    );
    const seen = await this.waitForView(revisions, timeoutMs);
    const states = this.view.partitions(spec.name);
    const led = states.size === replicas.length && [...states.values()].every((s) => s.value.leader >= 0);
    if (timeoutMs > 0 && (!seen || !led)) {
      throw new TributaryError(
        'REQUEST_TIMED_OUT',
        `Topic ${spec.name} was created, but not every partition had a leader within ${timeoutMs} ms`,
      );
    }
    return {
      name: spec.name,
      topicId: record.topicId,
      numPartitions: replicas.length,
      replicationFactor: replicas[0]!.length,
    };
  }

  /** CreatePartitions for one topic: grows it to `count` partitions. */
  async createPartitions(name: string, count: number, validateOnly: boolean): Promise<void> {
    checkTopicName(name);
    checkPartitionCount(count);
    for (let attempt = 0; ; attempt++) {
      const { record, kv } = await this.readLiveTopic(name);
      const current = record.replicas.length;
      if (record.creating)
        throw new TributaryError('INVALID_PARTITIONS', `Topic ${name} is still being created`);
      if (count <= current) {
        throw new TributaryError(
          'INVALID_PARTITIONS',
          `Topic ${name} has ${current} partitions; the count can only grow (asked for ${count})`,
        );
      }
      const brokers = this.liveBrokers();
      const startIndex = startIndexOf(record.replicas, brokers);
      const added = assignReplicas({
        partitions: count - current,
        // While partition 0 is being reassigned its replicas are the union of old and new.
        replicationFactor:
          record.replicas[0]!.length -
          (this.view.partition(name, 0)?.value.reassignment?.removing.length ?? 0),
        brokers,
        firstPartition: current,
        ...(startIndex !== undefined ? { startIndex } : {}),
        ...(this.options.random ? { random: this.options.random } : {}),
      });
      if (validateOnly) return;
      const grown: TopicRecord = {
        ...record,
        replicas: [...record.replicas, ...added],
        ...(added.length > FIRST_TXN_PARTITIONS ? { creating: true } : {}),
      };
      const first = added
        .slice(0, FIRST_TXN_PARTITIONS)
        .map((r, i) => this.partitionPut(grown, current + i, r));
      const result = await this.writer.commit(
        [{ key: keys.topicKey(name), target: 'Mod', revision: Number(kv.mod_revision) }],
        [{ kind: 'put', key: keys.topicKey(name), value: serializeRecord(grown) }, ...first],
      );
      if (!result.succeeded) {
        if (attempt < RETRIES) continue;
        throw new TributaryError('REQUEST_TIMED_OUT', `Topic ${name} kept changing; retry`);
      }
      let revisions = { topics: result.revision, partitions: result.revision };
      if (grown.creating) {
        revisions = await this.finishPartitions(
          grown,
          Number(kv.create_revision),
          result.revision,
          current + FIRST_TXN_PARTITIONS,
        );
      }
      this.logger.info({ topic: name, from: current, to: count }, 'partitions added');
      await this.waitForView(revisions, 0);
      return;
    }
  }

  /** DeleteTopics for one topic: marks it `deleting` (idempotent); returns its id. */
  async delete(name: string): Promise<string> {
    checkTopicName(name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.writer.read(keys.topicKey(name));
      if (!kv) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${name} does not exist`);
      const record = parseRecord(keys.topicKey(name), kv.value, isTopicRecord);
      if (record.deleting) return record.topicId;
      const { creating: _, ...rest } = record;
      const result = await this.writer.commit(
        [{ key: keys.topicKey(name), target: 'Mod', revision: Number(kv.mod_revision) }],
        [{ kind: 'put', key: keys.topicKey(name), value: serializeRecord({ ...rest, deleting: true }) }],
      );
      if (result.succeeded) {
        this.logger.info({ topic: name, topicId: record.topicId }, 'topic marked for deletion');
        await this.view.waitForRevision('topics', result.revision, 5000);
        this.options.touch(name);
        return record.topicId;
      }
      if (attempt >= RETRIES)
        throw new TributaryError('REQUEST_TIMED_OUT', `Topic ${name} kept changing; retry`);
    }
  }

  /** AlterConfigs for one topic: applies `changes` together, or none of them. */
  async alterConfigs(name: string, changes: readonly ConfigChange[], validateOnly: boolean): Promise<void> {
    if (checkName(name) !== undefined) throw new TributaryError('INVALID_REQUEST', checkName(name)!);
    const seen = new Set<string>();
    for (const c of changes) {
      if (seen.has(c.name))
        throw new TributaryError('INVALID_REQUEST', `Config ${c.name} appears more than once`);
      seen.add(c.name);
      if (!TOPIC_CONFIG_NAMES.includes(c.name)) {
        throw new TributaryError(
          'INVALID_CONFIG',
          `Invalid configuration ${c.name}: unknown topic configuration`,
        );
      }
    }
    for (let attempt = 0; ; attempt++) {
      const { record, kv } = await this.readLiveTopic(name);
      const configs: Record<string, string> = { ...record.configs };
      for (const c of changes) {
        if (c.op === 'set') configs[c.name] = c.value;
        else delete configs[c.name];
      }
      checkTopicConfigs(configs);
      if (validateOnly) return;
      const result = await this.writer.commit(
        [{ key: keys.topicKey(name), target: 'Mod', revision: Number(kv.mod_revision) }],
        [{ kind: 'put', key: keys.topicKey(name), value: serializeRecord({ ...record, configs }) }],
      );
      if (result.succeeded) {
        this.logger.info({ topic: name, changes: changes.map((c) => c.name) }, 'topic configs altered');
        await this.view.waitForRevision('topics', result.revision, 5000);
        return;
      }
      if (attempt >= RETRIES)
        throw new TributaryError('REQUEST_TIMED_OUT', `Topic ${name} kept changing; retry`);
    }
  }

  private partitionPut(record: TopicRecord, partition: number, replicas: readonly number[]): WriteOp {
    return {
      kind: 'put',
      key: keys.partitionStateKey(record.name, partition),
      value: serializeRecord(this.lifecycle.startingState(record, replicas)),
    };
  }

  /**
   * Writes partitions `from..` of a `creating` topic (record written at `modRevision`), then
   * clears the marker. Returns the last revision written per section.
   */
  private async finishPartitions(
    record: TopicRecord,
    createRevision: number,
    modRevision: number,
    from: number,
  ): Promise<{ topics: number; partitions: number }> {
    const rest = record.replicas.map((_, p) => p).slice(from);
    const written = await this.lifecycle.writeNewPartitions(record, createRevision, rest);
    const { creating: _, ...done } = record;
    const cleared = await this.writer.commit(
      [{ key: keys.topicKey(record.name), target: 'Mod', revision: modRevision }],
      [{ kind: 'put', key: keys.topicKey(record.name), value: serializeRecord(done) }],
    );
    // A failed clear (a conflict) is finished by the next reconcile pass.
    return {
      topics: cleared.succeeded ? cleared.revision : modRevision,
      partitions: Math.max(written, modRevision),
    };
  }

  private async readLiveTopic(name: string): Promise<{ record: TopicRecord; kv: IKeyValue }> {
    const kv = await this.writer.read(keys.topicKey(name));
    const record = kv && parseRecord(keys.topicKey(name), kv.value, isTopicRecord);
    if (!kv || !record || record.deleting) {
      throw new TributaryError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        record?.deleting ? `Topic ${name} is being deleted` : `Topic ${name} does not exist`,
      );
    }
    return { record, kv };
  }

  /** Waits until the view shows the writes; with `timeoutMs` 0, for at most 5 s and never fails. */
  private async waitForView(
    revisions: { topics: number; partitions: number },
    timeoutMs: number,
  ): Promise<boolean> {
    const wait = timeoutMs > 0 ? timeoutMs : 5000;
    const [topics, partitions] = await Promise.all([
      this.view.waitForRevision('topics', revisions.topics, wait),
      this.view.waitForRevision('partitions', revisions.partitions, wait),
    ]);
    return topics && partitions;
  }
}

function checkName(name: string): string | undefined {
  try {
    checkTopicName(name);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
