/**
 * The fault suite's checker: pure logic over one case's recorded history. It reports Jepsen's
 * Kafka anomalies (jepsen.tests.kafka):
 *
 * - **lost**: a write the cluster acknowledged that no reader ever saw, although its offset is
 *   still at or above the partition's log start offset (records below it were removed by
 *   retention and are counted as `expired`, not lost).
 * - **duplicated**: one written value read at two different offsets.
 * - **reordered**: within a partition, two values of one producer whose offsets are in the
 *   opposite order of the producer's send order (an idempotent producer keeps its order).
 * - **inconsistent**: one offset of a partition observed holding two different values (by two
 *   reads, or by a read and the acknowledgement that named the offset).
 * - **split ownership**: two consumer-group members owning one partition at the same moment.
 *
 * It also measures unavailability: the longest time any partition went without an acknowledged
 * write while the workload was writing to it.
 */

/** One send of the workload: a value is `<producer>:<seq>`, unique in the case. */
export interface SendRecord {
  producer: string;
  seq: number;
  partition: number;
  value: string;
  /** When `send` was called (ms, any monotonic clock shared by the history). */
  sentAt: number;
  /** Acknowledged: the offset the broker assigned and when the acknowledgement arrived. */
  ack?: { offset: number; at: number };
  /** Failed for good: the error's code (a failed write may or may not be stored: indeterminate). */
  error?: string;
}

/** One record a reader received. */
export interface ReadRecord {
  reader: string;
  partition: number;
  offset: number;
  value: string;
  at: number;
}

/** A consumer-group member's ownership of a partition, from assignment to revocation or loss. */
export interface Ownership {
  member: string;
  partition: number;
  from: number;
  /** Infinity while still owned at the end of the case. */
  to: number;
}

export interface History {
  sends: readonly SendRecord[];
  reads: readonly ReadRecord[];
  ownership: readonly Ownership[];
  /** Each partition's log start offset at the end: acknowledged records below it expired. */
  logStartOffsets: ReadonlyMap<number, number>;
  /** The window in which the workload was writing (unavailability is measured inside it). */
  writeWindow: { from: number; to: number };
}

export interface CheckResult {
  /** Sends attempted plus records read. */
  operations: number;
  acknowledged: number;
  /** Sends that failed for good (not acknowledged; may or may not be stored). */
  failed: number;
  lost: number;
  /** Acknowledged records below the final log start offset (removed by retention, not checkable). */
  expired: number;
  duplicated: number;
  reordered: number;
  inconsistent: number;
  splitOwnership: number;
  /** Longest time (ms) one partition went without an acknowledged write inside the write window. */
  longestUnavailableMs: number;
  /** A few concrete examples of each anomaly, for the report. */
  examples: string[];
}

const MAX_EXAMPLES_PER_KIND = 3;

/** The map's value for `key`, created by `init` on first use. */
function entry<K, V>(map: Map<K, V>, key: K, init: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = init();
    map.set(key, value);
  }
  return value;
}

/** Checks one case's history; see the module comment for the anomalies. */
export function checkHistory(history: History): CheckResult {
  const examples: string[] = [];
  const example = (kind: string, count: number, text: string) => {
    if (count <= MAX_EXAMPLES_PER_KIND) examples.push(`${kind}: ${text}`);
  };
  const sendByValue = new Map(history.sends.map((s) => [s.value, s]));

  // Every (partition, offset) -> values observed, and every value -> offsets it was read at.
  const atOffset = new Map<string, Set<string>>();
  const observe = (partition: number, offset: number, value: string) => {
    const key = `${partition}/${offset}`;
    entry(atOffset, key, () => new Set<string>()).add(value);
  };
  const readOffsets = new Map<string, Set<string>>();
  for (const r of history.reads) {
    observe(r.partition, r.offset, r.value);
    // Records the workload did not send (a fault case's own probes) count only for offsets.
    if (!sendByValue.has(r.value)) continue;
    entry(readOffsets, r.value, () => new Set<string>()).add(`${r.partition}/${r.offset}`);
  }
  for (const s of history.sends) if (s.ack) observe(s.partition, s.ack.offset, s.value);

  let inconsistent = 0;
  for (const [key, values] of atOffset) {
    if (values.size > 1)
      example('inconsistent', ++inconsistent, `offset ${key} holds ${[...values].join(', ')}`);
  }

  let duplicated = 0;
  for (const [value, offsets] of readOffsets) {
    if (offsets.size > 1) example('duplicated', ++duplicated, `${value} read at ${[...offsets].join(', ')}`);
  }

  let acknowledged = 0;
  let failed = 0;
  let lost = 0;
  let expired = 0;
  for (const s of history.sends) {
    if (s.error !== undefined) failed++;
    if (!s.ack) continue;
    acknowledged++;
    if (readOffsets.has(s.value)) continue;
    if (s.ack.offset < (history.logStartOffsets.get(s.partition) ?? 0)) expired++;
    else example('lost', ++lost, `${s.value} acknowledged at ${s.partition}/${s.ack.offset}, never read`);
  }

  // Reordering: walk each partition's log in offset order (first value seen at each offset);
  // a producer's sequence numbers must rise.
  const logs = new Map<number, Array<[number, string]>>();
  for (const [key, values] of atOffset) {
    const [partition, offset] = key.split('/').map(Number) as [number, number];
    entry(logs, partition, () => []).push([offset, [...values][0]!]);
  }
  let reordered = 0;
  for (const [partition, log] of logs) {
    log.sort((a, b) => a[0] - b[0]);
    const lastSeq = new Map<string, { seq: number; offset: number }>();
    for (const [offset, value] of log) {
      const send = sendByValue.get(value);
      if (!send) continue;
      const last = lastSeq.get(send.producer);
      if (last && send.seq < last.seq) {
        example(
          'reordered',
          ++reordered,
          `partition ${partition}: ${value} at offset ${offset} after ${send.producer}:${last.seq} at ${last.offset}`,
        );
        continue;
      }
      lastSeq.set(send.producer, { seq: send.seq, offset });
    }
  }

  let splitOwnership = 0;
  const byPartition = new Map<number, Ownership[]>();
  for (const o of history.ownership) {
    entry(byPartition, o.partition, () => []).push(o);
  }
  for (const [partition, list] of byPartition) {
    list.sort((a, b) => a.from - b.from);
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length && list[j]!.from < list[i]!.to; j++) {
        if (list[j]!.member === list[i]!.member) continue;
        example(
          'split ownership',
          ++splitOwnership,
          `partition ${partition} owned by ${list[i]!.member} and ${list[j]!.member} at ${Math.round(list[j]!.from)}`,
        );
      }
    }
  }

  return {
    operations: history.sends.length + history.reads.length,
    acknowledged,
    failed,
    lost,
    expired,
    duplicated,
    reordered,
    inconsistent,
    splitOwnership,
    longestUnavailableMs: longestUnavailability(history),
    examples,
  };
}

/** The longest gap between acknowledgements of one partition within the write window. */
function longestUnavailability(history: History): number {
  const { from, to } = history.writeWindow;
  const acks = new Map<number, number[]>();
  for (const s of history.sends) {
    if (!s.ack || s.sentAt > to) continue;
    entry(acks, s.partition, () => []).push(Math.min(s.ack.at, to));
  }
  const partitions = new Set(history.sends.map((s) => s.partition));
  let longest = 0;
  for (const partition of partitions) {
    const times = (acks.get(partition) ?? []).sort((a, b) => a - b);
    let previous = from;
    for (const t of [...times, to]) {
      longest = Math.max(longest, t - previous);
      previous = Math.max(previous, t);
    }
  }
  return Math.round(longest);
}

/** Whether a case passes: no anomaly of any kind. */
export function hasAnomalies(result: CheckResult): boolean {
  return result.lost + result.duplicated + result.reordered + result.inconsistent + result.splitOwnership > 0;
}
