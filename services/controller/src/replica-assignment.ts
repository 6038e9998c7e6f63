/**
 * Replica assignment: which brokers hold each partition, first replica = preferred leader.
 * Kafka's algorithm (`AdminUtils.assignReplicasToBrokers`), so operators' intuitions carry over:
 *
 * - Rack-unaware: partition p's first replica is broker[(p + startIndex) % n]; the others follow at
 *   a shift `1 + (replicaShift + j) % (n - 1)` from it, and the shift grows by one every n
 *   partitions. Leaders (first replicas) are spread round-robin, and followers of one broker's
 *   partitions are spread over all the others instead of always landing on its neighbour.
 * - Rack-aware (every broker declares a rack): the same walk over a broker list that alternates
 *   racks (r1-b0, r2-b3, r3-b6, r1-b1, ...), skipping a broker whose rack already holds a replica
 *   while some rack has none, and a broker that already holds one while some broker has none. So
 *   each partition spans min(RF, racks) racks and leaders still rotate over every broker.
 *
 * When only some brokers declare a rack the assignment is rack-unaware (Kafka refuses; a cluster
 * being re-racked one broker at a time should still be able to create topics).
 */
import { TributaryError } from '@tributary/errors';

/** A live broker as assignment sees it. */
export interface AssignableBroker {
  readonly id: number;
  readonly rack: string | null;
}

export interface AssignmentRequest {
  /** Partitions to assign (>= 1). */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** The live brokers, any order. */
  readonly brokers: readonly AssignableBroker[];
  /** Number of the first partition assigned (the topic's current count when adding partitions). @default 0 */
  readonly firstPartition?: number;
  /** Index (in the sorted or rack-alternated broker list) of partition 0's first replica; random by default. */
  readonly startIndex?: number;
  /** The follower shift at partition 0 (it grows by one every n partitions); random by default. */
  readonly replicaShift?: number;
  /** Source of randomness for the defaults, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * Assigns replicas to partitions `firstPartition .. firstPartition + partitions - 1`; the result's
 * index i is partition `firstPartition + i`.
 *
 * @throws TributaryError INVALID_PARTITIONS if `partitions` < 1, INVALID_REPLICATION_FACTOR if
 *   the replication factor is < 1 or larger than the number of live brokers.
 */
export function assignReplicas(request: AssignmentRequest): number[][] {
  const { partitions, replicationFactor: rf, brokers } = request;
  if (!Number.isSafeInteger(partitions) || partitions < 1) {
    throw new TributaryError(
      'INVALID_PARTITIONS',
      `Number of partitions must be at least 1, got ${partitions}`,
    );
  }
  if (!Number.isSafeInteger(rf) || rf < 1) {
    throw new TributaryError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor must be at least 1, got ${rf}`,
    );
  }
  if (rf > brokers.length) {
    const ids = brokers.map((b) => b.id).sort((a, b) => a - b);
    throw new TributaryError(
      'INVALID_REPLICATION_FACTOR',
      `Replication factor ${rf} is larger than the number of live brokers (${brokers.length}${
        ids.length > 0 ? `: ${ids.join(', ')}` : ''
      })`,
    );
  }
  const random = request.random ?? Math.random;
  const rackAware = brokers.every((b) => b.rack !== null && b.rack !== '');
  const list = rackAware ? rackAlternatedList(brokers) : brokers.map((b) => b.id).sort((a, b) => a - b);
  const n = list.length;
  const startIndex = request.startIndex ?? Math.floor(random() * n);
  const first = request.firstPartition ?? 0;
  // The shift as of partition `first`, so added partitions continue partition 0's rotation.
  let shift =
    (request.replicaShift ?? Math.floor(random() * n)) + (first > 0 ? Math.floor((first - 1) / n) : 0);
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack ?? '']));
  const numRacks = new Set(rackOf.values()).size;
  const result: number[][] = [];
  for (let p = first; p < first + partitions; p++) {
    if (p > 0 && p % n === 0) shift++;
    const firstIndex = (p + startIndex) % n;
    const leader = list[firstIndex]!;
    const replicas = [leader];
    if (!rackAware) {
      for (let j = 0; j < rf - 1; j++) replicas.push(list[replicaIndex(firstIndex, shift, j, n)]!);
    } else {
      const racks = new Set([rackOf.get(leader)]);
      const holders = new Set([leader]);
      for (let k = 0; replicas.length < rf; k++) {
        const broker = list[replicaIndex(firstIndex, shift * numRacks, k, n)]!;
        const rack = rackOf.get(broker);
        if ((!racks.has(rack) || racks.size === numRacks) && (!holders.has(broker) || holders.size === n)) {
          replicas.push(broker);
          racks.add(rack);
          holders.add(broker);
        }
      }
    }
    result.push(replicas);
  }
  return result;
}

function replicaIndex(firstIndex: number, shift: number, j: number, n: number): number {
  if (n === 1) return firstIndex;
  return (firstIndex + 1 + ((shift + j) % (n - 1))) % n;
}

/** Broker ids alternating over racks (sorted), each rack's brokers in id order. */
function rackAlternatedList(brokers: readonly AssignableBroker[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b.id]);
  }
  const racks = [...byRack.keys()].sort();
  const queues = racks.map((r) => byRack.get(r)!.sort((a, b) => a - b));
  const result: number[] = [];
  for (let i = 0; result.length < brokers.length; i = (i + 1) % racks.length) {
    const next = queues[i]!.shift();
    if (next !== undefined) result.push(next);
  }
  return result;
}

/**
 * The start index Kafka uses when adding partitions to a topic: where partition 0's preferred
 * leader sits in the broker list, so new partitions continue its rotation.
 */
export function startIndexOf(
  existing: readonly (readonly number[])[],
  brokers: readonly AssignableBroker[],
): number | undefined {
  const first = existing[0]?.[0];
  if (first === undefined) return undefined;
  const rackAware = brokers.every((b) => b.rack !== null && b.rack !== '');
  const list = rackAware ? rackAlternatedList(brokers) : brokers.map((b) => b.id).sort((a, b) => a - b);
  const index = list.indexOf(first);
  return index >= 0 ? index : undefined;
}
