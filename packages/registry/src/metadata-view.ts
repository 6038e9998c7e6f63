import type { Namespace } from 'etcd3';
import {
  type MetadataChange,
  type MetadataSection,
  MetadataState,
  PREFIXES,
  type Versioned,
} from './metadata-state';
import { type KeyRevisions, PrefixWatch } from './prefix-watch';
import type {
  BrokerRegistration,
  ControllerRegistration,
  CoordinatorRegistration,
  PartitionState,
  TopicDeletionAck,
  TopicRecord,
} from './records';

export type { MetadataChange, MetadataSection, Versioned } from './metadata-state';

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
  private readonly state: MetadataState;

  constructor(
    private readonly ns: Namespace,
    options: MetadataViewOptions = {},
  ) {
    this.sections = options.sections ?? DEFAULT_SECTIONS;
    this.onError = options.onError ?? (() => undefined);
    this.state = new MetadataState(this.onError);
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
              const change = this.state.put(section, key, value, kv);
              if (change) this.emit(change);
              this.advance(section, revision);
            },
            onDelete: (key, revision) => {
              const change = this.state.delete(section, key);
              if (change) this.emit(change);
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
    return this.state.brokers;
  }

  /** Live group coordinators by id. */
  coordinators(): ReadonlyMap<string, CoordinatorRegistration> {
    return this.state.coordinators;
  }

  /** The active controller; its `createRevision` is the controller epoch. */
  controller(): Versioned<ControllerRegistration> | undefined {
    return this.state.controller;
  }

  /** Every topic record by name (including topics being created or deleted). */
  topics(): ReadonlyMap<string, Versioned<TopicRecord>> {
    return this.state.topics;
  }

  topic(name: string): Versioned<TopicRecord> | undefined {
    return this.state.topics.get(name);
  }

  /** The partition states of a topic by partition number (only those with a key). */
  partitions(topic: string): ReadonlyMap<number, Versioned<PartitionState>> {
    return this.state.partitions.get(topic) ?? EMPTY;
  }

  partition(topic: string, partition: number): Versioned<PartitionState> | undefined {
    return this.state.partitions.get(topic)?.get(partition);
  }

  /** Topics that have at least one partition key, with their partition states. */
  allPartitions(): ReadonlyMap<string, ReadonlyMap<number, Versioned<PartitionState>>> {
    return this.state.partitions;
  }

  /** Deletion acknowledgements of a topic by broker id (only with the `deletions` section). */
  deletionAcks(topic: string): ReadonlyMap<number, TopicDeletionAck> {
    return this.state.deletions.get(topic) ?? EMPTY;
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
    if (this.waiters.length === 0) return;
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
    const before = new Set(this.state.keysOf(section));
    for (const [key, value] of entries) {
      before.delete(key);
      const change = this.state.put(section, key, value, revisions.get(key)!);
      if (change && report) this.emit(change);
    }
    for (const key of before) {
      const change = this.state.delete(section, key);
      if (change && report) this.emit(change);
    }
  }
}

const EMPTY: ReadonlyMap<number, never> = new Map<number, never>();
