import type { Namespace } from 'etcd3';
import * as keys from './keys';
import { type KeyRevisions, PrefixWatch } from './prefix-watch';
import {
  type BrokerRegistration,
  type ControllerRegistration,
  type CoordinatorRegistration,
  isBrokerRegistration,
  isControllerRegistration,
  isCoordinatorRegistration,
  isPartitionState,
  isTopicDeletionAck,
  isTopicRecord,
  type PartitionState,
  parseRecord,
  type TopicDeletionAck,
  type TopicRecord,
} from './records';

/** A parsed record with the revisions a guarded write compares. */
export interface Versioned<T> extends KeyRevisions {
  readonly value: T;
}

/** The parts of the cluster metadata a view can mirror, each one etcd prefix. */
export type MetadataSection =
  | 'brokers'
  | 'coordinators'
  | 'controller'
  | 'topics'
  | 'partitions'
  | 'deletions';

/** One key of the view changed (created, updated or deleted: `value` undefined). */
export type MetadataChange =
  | { readonly section: 'brokers'; readonly id: number; readonly value: BrokerRegistration | undefined }
  | {
      readonly section: 'coordinators';
      readonly id: string;
      readonly value: CoordinatorRegistration | undefined;
    }
  | { readonly section: 'controller'; readonly value: Versioned<ControllerRegistration> | undefined }
  | {
      readonly section: 'topics';
      readonly topic: string;
      readonly value: Versioned<TopicRecord> | undefined;
      readonly previous: Versioned<TopicRecord> | undefined;
    }
  | {
      readonly section: 'partitions';
      readonly topic: string;
      readonly partition: number;
      readonly value: Versioned<PartitionState> | undefined;
      readonly previous: Versioned<PartitionState> | undefined;
    }
  | {
      readonly section: 'deletions';
      readonly topic: string;
      readonly brokerId: number;
      readonly value: TopicDeletionAck | undefined;
    };

export interface MetadataViewOptions {
  /** The sections to mirror. @default every section but `deletions` */
  readonly sections?: readonly MetadataSection[];
  /** A malformed record (ignored, as if absent) or a watch error. */
  readonly onError?: (err: Error) => void;
}

const DEFAULT_SECTIONS: readonly MetadataSection[] = [
  'brokers',
  'coordinators',
  'controller',
  'topics',
  'partitions',
];

const PREFIXES: Record<MetadataSection, string> = {
  brokers: keys.brokersPrefix(),
  coordinators: keys.coordinatorsPrefix(),
  controller: keys.controllerKey(),
  topics: keys.topicsPrefix(),
  partitions: keys.partitionsPrefix(),
  deletions: keys.topicDeletionsPrefix(),
};

/**
 * A read-only, watch-fed mirror of the cluster metadata in etcd (ARCHITECTURE §2): live brokers
 * and coordinators, the active controller with its epoch, topic records and partition states
 * with their etcd revisions. One `PrefixWatch` per section, each resuming from its last revision
 * after a reconnect and rebuilt from a fresh snapshot after a compaction (the differences are
 * then reported as changes, so listeners never miss a deletion).
 *
 * `start()` resolves once every section's snapshot is loaded; the first snapshots are not
 * reported as changes (a consumer reconciles against the whole view after `start`). Changes are
 * reported one key at a time, in revision order per section, synchronously from the watch;
 * listeners that act on many keys coalesce them themselves. Sections are watched independently,
 * so two sections may momentarily be at different revisions.
 */
export class MetadataView {
  private readonly sections: readonly MetadataSection[];
  private readonly onError: (err: Error) => void;
  private readonly watches: PrefixWatch[] = [];
  private readonly listeners = new Set<(change: MetadataChange) => void>();
  private readonly revisions = new Map<MetadataSection, number>();
  private readonly waiters: { section: MetadataSection; revision: number; resolve: () => void }[] = [];

  private readonly brokerMap = new Map<number, BrokerRegistration>();
  private readonly coordinatorMap = new Map<string, CoordinatorRegistration>();
  private controllerEntry: Versioned<ControllerRegistration> | undefined;
  private readonly topicMap = new Map<string, Versioned<TopicRecord>>();
  private readonly partitionMap = new Map<string, Map<number, Versioned<PartitionState>>>();
  private readonly deletionMap = new Map<string, Map<number, TopicDeletionAck>>();

  constructor(
    private readonly ns: Namespace,
    options: MetadataViewOptions = {},
  ) {
    this.sections = options.sections ?? DEFAULT_SECTIONS;
    this.onError = options.onError ?? (() => undefined);
  }

  /** Loads every section's snapshot and starts watching. */
  async start(): Promise<void> {
    await Promise.all(
      this.sections.map(async (section) => {
        let first = true;
        const watch = new PrefixWatch(
          this.ns,
          PREFIXES[section],
          {
            onSnapshot: (entries, revision, revisions) => {
              this.applySnapshot(section, entries, revisions, !first);
              first = false;
              this.advance(section, revision);
            },
            onPut: (key, value, revision, kv) => {
              this.applyPut(section, key, value, kv);
              this.advance(section, revision);
            },
            onDelete: (key, revision) => {
              this.applyDelete(section, key);
              this.advance(section, revision);
            },
          },
          this.onError,
        );
        this.watches.push(watch);
        await watch.start();
      }),
    );
  }

  /** Stops every watch. */
  async close(): Promise<void> {
    await Promise.all(this.watches.splice(0).map((w) => w.close()));
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }

  /** Calls `listener` with every change from now on; returns the unsubscribe function. */
  onChange(listener: (change: MetadataChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The newest etcd revision the section reflects (0 before its snapshot). */
  revision(section: MetadataSection): number {
    return this.revisions.get(section) ?? 0;
  }

  /**
   * Resolves once `section` reflects `revision` (e.g. a write this process made), or after
   * `timeoutMs` (resolving false), so a request can read its own writes from the view.
   */
  waitForRevision(section: MetadataSection, revision: number, timeoutMs = 5000): Promise<boolean> {
    if (this.revision(section) >= revision)
      return new Promise((resolve) => setImmediate(() => resolve(true)));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        section,
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Live brokers by id. */
  brokers(): ReadonlyMap<number, BrokerRegistration> {
    return this.brokerMap;
  }

  /** Live group coordinators by id. */
  coordinators(): ReadonlyMap<string, CoordinatorRegistration> {
    return this.coordinatorMap;
  }

  /** The active controller; its `createRevision` is the controller epoch. */
  controller(): Versioned<ControllerRegistration> | undefined {
    return this.controllerEntry;
  }

  /** Every topic record by name (including topics being created or deleted). */
  topics(): ReadonlyMap<string, Versioned<TopicRecord>> {
    return this.topicMap;
  }

  topic(name: string): Versioned<TopicRecord> | undefined {
    return this.topicMap.get(name);
  }

  /** The partition states of a topic by partition number (only those with a key). */
  partitions(topic: string): ReadonlyMap<number, Versioned<PartitionState>> {
    return this.partitionMap.get(topic) ?? EMPTY;
  }

  partition(topic: string, partition: number): Versioned<PartitionState> | undefined {
    return this.partitionMap.get(topic)?.get(partition);
  }

  /** Topics that have at least one partition key, with their partition states. */
  allPartitions(): ReadonlyMap<string, ReadonlyMap<number, Versioned<PartitionState>>> {
    return this.partitionMap;
  }

  /** Deletion acknowledgements of a topic by broker id (only with the `deletions` section). */
  deletionAcks(topic: string): ReadonlyMap<number, TopicDeletionAck> {
    return this.deletionMap.get(topic) ?? EMPTY;
  }

  private emit(change: MetadataChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (err) {
        this.onError(err as Error);
      }
    }
  }

  private advance(section: MetadataSection, revision: number): void {
    this.revisions.set(section, Math.max(this.revision(section), revision));
    // Every key a txn wrote carries its revision, and etcd delivers them in one watch response
    // whose events are all queued before the first is handled; waiting for setImmediate lets the
    // rest of them be applied before a waiter looks at the view.
    setImmediate(() => {
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i]!;
        if (waiter.section === section && waiter.revision <= this.revision(section)) {
          this.waiters.splice(i, 1);
          waiter.resolve();
        }
      }
    });
  }

  private applySnapshot(
    section: MetadataSection,
    entries: ReadonlyMap<string, string>,
    revisions: ReadonlyMap<string, KeyRevisions>,
    report: boolean,
  ): void {
    const before = new Set(this.keysOf(section));
    for (const [key, value] of entries) {
      before.delete(key);
      this.applyPut(section, key, value, revisions.get(key)!, report);
    }
    for (const key of before) this.applyDelete(section, key, report);
  }

  /** The etcd keys the section holds now (to find what a resync snapshot no longer has). */
  private keysOf(section: MetadataSection): string[] {
    switch (section) {
      case 'brokers':
        return [...this.brokerMap.keys()].map(keys.brokerKey);
      case 'coordinators':
        return [...this.coordinatorMap.keys()].map(keys.coordinatorKey);
      case 'controller':
        return this.controllerEntry ? [keys.controllerKey()] : [];
      case 'topics':
        return [...this.topicMap.keys()].map(keys.topicKey);
      case 'partitions':
        return [...this.partitionMap].flatMap(([t, ps]) =>
          [...ps.keys()].map((p) => keys.partitionStateKey(t, p)),
        );
      case 'deletions':
        return [...this.deletionMap].flatMap(([t, acks]) =>
          [...acks.keys()].map((b) => keys.topicDeletionAckKey(t, b)),
        );
    }
  }

  private parse<T>(key: string, value: string, check: (v: unknown) => v is T): T | undefined {
    try {
      return parseRecord(key, value, check);
    } catch (err) {
      this.onError(err as Error);
      return undefined;
    }
  }

  private applyPut(
    section: MetadataSection,
    key: string,
    value: string,
    revisions: KeyRevisions,
    report = true,
  ): void {
    const rest = key.slice(PREFIXES[section].length);
    switch (section) {
      case 'brokers': {
        const record = this.parse(key, value, isBrokerRegistration);
        const id = keys.brokerIdOfKey(key);
        if (!record || !Number.isSafeInteger(id)) return;
        this.brokerMap.set(id, record);
        if (report) this.emit({ section, id, value: record });
        return;
      }
      case 'coordinators': {
        const record = this.parse(key, value, isCoordinatorRegistration);
        if (!record) return;
        const id = decodeURIComponent(rest);
        this.coordinatorMap.set(id, record);
        if (report) this.emit({ section, id, value: record });
        return;
      }
      case 'controller': {
        if (key !== keys.controllerKey()) return;
        const record = this.parse(key, value, isControllerRegistration);
        if (!record) return;
        this.controllerEntry = { value: record, ...revisions };
        if (report) this.emit({ section, value: this.controllerEntry });
        return;
      }
      case 'topics': {
        const record = this.parse(key, value, isTopicRecord);
        if (!record) return;
        const previous = this.topicMap.get(rest);
        const entry = { value: record, ...revisions };
        this.topicMap.set(rest, entry);
        if (report) this.emit({ section, topic: rest, value: entry, previous });
        return;
      }
      case 'partitions': {
        const tp = splitTopicPartition(rest);
        const record = this.parse(key, value, isPartitionState);
        if (!tp || !record) return;
        const states = inner(this.partitionMap, tp.topic);
        const previous = states.get(tp.partition);
        const entry = { value: record, ...revisions };
        states.set(tp.partition, entry);
        if (report) this.emit({ section, ...tp, value: entry, previous });
        return;
      }
      case 'deletions': {
        const tp = splitTopicPartition(rest);
        const record = this.parse(key, value, isTopicDeletionAck);
        if (!tp || !record) return;
        inner(this.deletionMap, tp.topic).set(tp.partition, record);
        if (report) this.emit({ section, topic: tp.topic, brokerId: tp.partition, value: record });
        return;
      }
    }
  }

  private applyDelete(section: MetadataSection, key: string, report = true): void {
    const rest = key.slice(PREFIXES[section].length);
    switch (section) {
      case 'brokers': {
        const id = keys.brokerIdOfKey(key);
        if (this.brokerMap.delete(id) && report) this.emit({ section, id, value: undefined });
        return;
      }
      case 'coordinators': {
        const id = decodeURIComponent(rest);
        if (this.coordinatorMap.delete(id) && report) this.emit({ section, id, value: undefined });
        return;
      }
      case 'controller': {
        if (key !== keys.controllerKey() || !this.controllerEntry) return;
        this.controllerEntry = undefined;
        if (report) this.emit({ section, value: undefined });
        return;
      }
      case 'topics': {
        const previous = this.topicMap.get(rest);
        if (!previous) return;
        this.topicMap.delete(rest);
        if (report) this.emit({ section, topic: rest, value: undefined, previous });
        return;
      }
      case 'partitions': {
        const tp = splitTopicPartition(rest);
        const states = tp && this.partitionMap.get(tp.topic);
        const previous = tp && states?.get(tp.partition);
        if (!tp || !states || !previous) return;
        states.delete(tp.partition);
        if (states.size === 0) this.partitionMap.delete(tp.topic);
        if (report) this.emit({ section, ...tp, value: undefined, previous });
        return;
      }
      case 'deletions': {
        const tp = splitTopicPartition(rest);
        const acks = tp && this.deletionMap.get(tp.topic);
        if (!tp || !acks?.delete(tp.partition)) return;
        if (acks.size === 0) this.deletionMap.delete(tp.topic);
        if (report) this.emit({ section, topic: tp.topic, brokerId: tp.partition, value: undefined });
        return;
      }
    }
  }
}

const EMPTY: ReadonlyMap<number, never> = new Map<number, never>();

function inner<V>(outer: Map<string, Map<number, V>>, key: string): Map<number, V> {
  let map = outer.get(key);
  if (!map) {
    map = new Map();
    outer.set(key, map);
  }
  return map;
}

/** `<topic>/<number>` (topic names hold no `/`). */
function splitTopicPartition(rest: string): { topic: string; partition: number } | undefined {
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) return undefined;
  const partition = Number(rest.slice(slash + 1));
  if (!Number.isSafeInteger(partition) || partition < 0) return undefined;
  return { topic: rest.slice(0, slash), partition };
}
