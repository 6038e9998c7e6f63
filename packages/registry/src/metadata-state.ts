/**
 * The parsed contents of a MetadataView: what each section holds, updated key by key. No I/O:
 * `put` and `delete` return the change they made (undefined if none), for the view to report.
 */
import * as keys from './keys';
import type { KeyRevisions } from './prefix-watch';
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

/** The etcd prefix of each section. */
export const PREFIXES: Record<MetadataSection, string> = {
  brokers: keys.brokersPrefix(),
  coordinators: keys.coordinatorsPrefix(),
  controller: keys.controllerKey(),
  topics: keys.topicsPrefix(),
  partitions: keys.partitionsPrefix(),
  deletions: keys.topicDeletionsPrefix(),
};

export class MetadataState {
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly coordinators = new Map<string, CoordinatorRegistration>();
  controller: Versioned<ControllerRegistration> | undefined;
  readonly topics = new Map<string, Versioned<TopicRecord>>();
  readonly partitions = new Map<string, Map<number, Versioned<PartitionState>>>();
  readonly deletions = new Map<string, Map<number, TopicDeletionAck>>();

  /** `onError` hears of malformed records, which are ignored (as if absent). */
  constructor(private readonly onError: (err: Error) => void) {}

  /** The etcd keys the section holds now (to find what a resync snapshot no longer has). */
  keysOf(section: MetadataSection): string[] {
    switch (section) {
      case 'brokers':
        return [...this.brokers.keys()].map(keys.brokerKey);
      case 'coordinators':
        return [...this.coordinators.keys()].map(keys.coordinatorKey);
      case 'controller':
        return this.controller ? [keys.controllerKey()] : [];
      case 'topics':
        return [...this.topics.keys()].map(keys.topicKey);
      case 'partitions':
        return [...this.partitions].flatMap(([t, ps]) =>
          [...ps.keys()].map((p) => keys.partitionStateKey(t, p)),
        );
      case 'deletions':
        return [...this.deletions].flatMap(([t, acks]) =>
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

  /** Applies a put of `key` (relative to the namespace) in `section`. */
  put(
    section: MetadataSection,
    key: string,
    value: string,
    revisions: KeyRevisions,
  ): MetadataChange | undefined {
    const rest = key.slice(PREFIXES[section].length);
    switch (section) {
      case 'brokers': {
        const record = this.parse(key, value, isBrokerRegistration);
        const id = keys.brokerIdOfKey(key);
        if (!record || !Number.isSafeInteger(id)) return undefined;
        this.brokers.set(id, record);
        return { section, id, value: record };
      }
      case 'coordinators': {
        const record = this.parse(key, value, isCoordinatorRegistration);
        if (!record) return undefined;
        const id = decodeURIComponent(rest);
        this.coordinators.set(id, record);
        return { section, id, value: record };
      }
      case 'controller': {
        if (key !== keys.controllerKey()) return undefined;
        const record = this.parse(key, value, isControllerRegistration);
        if (!record) return undefined;
        this.controller = { value: record, ...revisions };
        return { section, value: this.controller };
      }
      case 'topics': {
        const record = this.parse(key, value, isTopicRecord);
        if (!record) return undefined;
        const previous = this.topics.get(rest);
        const entry = { value: record, ...revisions };
        this.topics.set(rest, entry);
        return { section, topic: rest, value: entry, previous };
      }
      case 'partitions': {
        const tp = splitTopicPartition(rest);
        const record = this.parse(key, value, isPartitionState);
        if (!tp || !record) return undefined;
        const states = inner(this.partitions, tp.topic);
        const previous = states.get(tp.partition);
        const entry = { value: record, ...revisions };
        states.set(tp.partition, entry);
        return { section, ...tp, value: entry, previous };
      }
      case 'deletions': {
        const tp = splitTopicPartition(rest);
        const record = this.parse(key, value, isTopicDeletionAck);
        if (!tp || !record) return undefined;
        inner(this.deletions, tp.topic).set(tp.partition, record);
        return { section, topic: tp.topic, brokerId: tp.partition, value: record };
      }
    }
  }

  /** Applies a deletion of `key` in `section`. */
  delete(section: MetadataSection, key: string): MetadataChange | undefined {
    const rest = key.slice(PREFIXES[section].length);
    switch (section) {
      case 'brokers': {
        const id = keys.brokerIdOfKey(key);
        return this.brokers.delete(id) ? { section, id, value: undefined } : undefined;
      }
      case 'coordinators': {
        const id = decodeURIComponent(rest);
        return this.coordinators.delete(id) ? { section, id, value: undefined } : undefined;
      }
      case 'controller': {
        if (key !== keys.controllerKey() || !this.controller) return undefined;
        this.controller = undefined;
        return { section, value: undefined };
      }
      case 'topics': {
        const previous = this.topics.get(rest);
        if (!previous) return undefined;
        this.topics.delete(rest);
        return { section, topic: rest, value: undefined, previous };
      }
      case 'partitions': {
        const tp = splitTopicPartition(rest);
        const states = tp && this.partitions.get(tp.topic);
        const previous = tp && states?.get(tp.partition);
        if (!tp || !states || !previous) return undefined;
        states.delete(tp.partition);
        if (states.size === 0) this.partitions.delete(tp.topic);
        return { section, ...tp, value: undefined, previous };
      }
      case 'deletions': {
        const tp = splitTopicPartition(rest);
        const acks = tp && this.deletions.get(tp.topic);
        if (!tp || !acks?.delete(tp.partition)) return undefined;
        if (acks.size === 0) this.deletions.delete(tp.topic);
        return { section, topic: tp.topic, brokerId: tp.partition, value: undefined };
      }
    }
  }
}

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
