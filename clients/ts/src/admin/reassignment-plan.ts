/**
 * Reassignment plans (Kafka's `kafka-reassign-partitions` JSON): the file format, its parser,
 * and the two generators of `tributary partitions reassign --generate`. Pure functions.
 *
 * - **spread**: lay each topic's partitions over a list of brokers, Kafka's round-robin
 *   (`assignReplicasToBrokers`: partition p's first replica is broker[(start + p) % n], followers
 *   at a shifting offset), choosing the start and shift that keep the most replicas where they
 *   are, so a new broker gets its share and few replicas move needlessly.
 * - **decommission**: every replica on the given brokers moves to the least-loaded broker not
 *   already holding the partition, in the same position of the list (so the preferred leader of
 *   a partition led by a leaving broker is its replacement).
 *
 * A plan lists only the partitions whose replicas change.
 */

/** One partition's target replicas in a plan. */
export interface PlannedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
}

/** A plan file: `{"version":1,"partitions":[{"topic","partition","replicas"}]}`. */
export interface ReassignmentPlan {
  readonly version: 1;
  readonly partitions: readonly PlannedPartition[];
}

/** A topic's current assignment: replicas per partition, index = partition number. */
export interface TopicAssignment {
  readonly topic: string;
  readonly replicas: readonly (readonly number[])[];
}

/** A plan that cannot be read or generated; the message says what and where. */
export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * Reads a plan file's text. Checks the shape only (what the controller cannot: JSON, fields,
 * types, a partition listed twice); brokers and partitions are checked by the controller, which
 * answers per partition.
 */
export function parsePlan(text: string, source = 'plan'): ReassignmentPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PlanError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(value) || value['version'] !== 1 || !Array.isArray(value['partitions'])) {
    throw new PlanError(
      `${source} must be {"version":1,"partitions":[{"topic","partition","replicas"}, ...]}`,
    );
  }
  const seen = new Set<string>();
  const partitions = value['partitions'].map((p, i): PlannedPartition => {
    const where = `${source}: partitions[${i}]`;
    if (!isObject(p)) throw new PlanError(`${where} is not an object`);
    const { topic, partition, replicas } = p;
    if (typeof topic !== 'string' || topic === '') throw new PlanError(`${where}.topic must be a topic name`);
    if (!Number.isSafeInteger(partition) || (partition as number) < 0)
      throw new PlanError(`${where}.partition must be an integer >= 0`);
    if (!Array.isArray(replicas) || !replicas.every((r) => Number.isSafeInteger(r) && r >= 0))
      throw new PlanError(`${where}.replicas must be a list of broker ids`);
    const id = `${topic}-${partition}`;
    if (seen.has(id)) throw new PlanError(`${where}: partition ${id} is listed twice`);
    seen.add(id);
    return { topic, partition: partition as number, replicas: replicas as number[] };
  });
  return { version: 1, partitions };
}

/** A plan as the file holds it (one partition per line, so diffs and reviews read well). */
export function formatPlan(plan: ReassignmentPlan): string {
  const lines = plan.partitions.map((p) => `  ${JSON.stringify(p)}`);
  return `{"version":1,"partitions":[\n${lines.join(',\n')}\n]}`;
}

/** The current assignment of the given topics as a plan (what `--generate` prints for rollback). */
export function currentPlan(topics: readonly TopicAssignment[]): ReassignmentPlan {
  return {
    version: 1,
    partitions: topics.flatMap((t) =>
      t.replicas.map((replicas, partition) => ({ topic: t.topic, partition, replicas: [...replicas] })),
    ),
  };
}

const sameOrder = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => b[i] === x);

/** Kafka's round-robin replica list of partition p over `brokers` for a start and first shift. */
function roundRobin(
  brokers: readonly number[],
  rf: number,
  p: number,
  start: number,
  shift0: number,
): number[] {
  const n = brokers.length;
  const first = (start + p) % n;
  const shift = n > 1 ? (shift0 + Math.floor(p / n)) % (n - 1) : 0;
  const out = [brokers[first]!];
  for (let j = 0; j < rf - 1; j++) out.push(brokers[(first + 1 + ((shift + j) % (n - 1))) % n]!);
  return out;
}

/**
 * Spreads each topic's partitions over `brokers` (same replication factor), as evenly as Kafka's
 * round-robin does, keeping as many replicas in place as a choice of start and shift allows.
 */
export function generateSpread(
  topics: readonly TopicAssignment[],
  brokerIds: readonly number[],
): ReassignmentPlan {
  const brokers = [...new Set(brokerIds)].sort((a, b) => a - b);
  if (brokers.length === 0) throw new PlanError('--brokers lists no broker');
  const partitions: PlannedPartition[] = [];
  for (const t of topics) {
    const rf = t.replicas[0]?.length ?? 0;
    if (rf > brokers.length) {
      throw new PlanError(
        `Topic ${t.topic} has replication factor ${rf}, more than the ${brokers.length} brokers given (${brokers.join(', ')})`,
      );
    }
    let best: number[][] = [];
    let bestKept = -1;
    for (let start = 0; start < brokers.length; start++) {
      for (let shift = 0; shift < Math.max(1, brokers.length - 1); shift++) {
        const candidate = t.replicas.map((current, p) =>
          roundRobin(brokers, current.length, p, start, shift),
        );
        // Kept replicas count most; a kept preferred leader breaks ties (no leadership move).
        const kept = candidate.reduce(
          (sum, c, p) =>
            sum +
            2 * c.filter((b) => t.replicas[p]!.includes(b)).length +
            (c[0] === t.replicas[p]![0] ? 1 : 0),
          0,
        );
        if (kept > bestKept) {
          bestKept = kept;
          best = candidate;
        }
      }
    }
    best.forEach((target, partition) => {
      const current = t.replicas[partition]!;
      // Same set in another order: keep the current order (no needless leadership move).
      const same = target.length === current.length && target.every((b) => current.includes(b));
      if (!same && !sameOrder(target, current))
        partitions.push({ topic: t.topic, partition, replicas: target });
    });
  }
  return { version: 1, partitions };
}

/**
 * Moves every replica off `leaving` (decommission): each goes to the broker of `brokerIds` not
 * leaving and not already holding the partition that holds the fewest replicas so far (lowest id
 * on a tie), in the same position of the replica list.
 */
export function generateDecommission(
  topics: readonly TopicAssignment[],
  brokerIds: readonly number[],
  leaving: readonly number[],
): ReassignmentPlan {
  const gone = new Set(leaving);
  const staying = [...new Set(brokerIds)].filter((b) => !gone.has(b)).sort((a, b) => a - b);
  const load = new Map(staying.map((b) => [b, 0]));
  for (const t of topics) {
    for (const r of t.replicas) for (const b of r) if (load.has(b)) load.set(b, load.get(b)! + 1);
  }
  const partitions: PlannedPartition[] = [];
  for (const t of topics) {
    t.replicas.forEach((current, partition) => {
      if (!current.some((b) => gone.has(b))) return;
      const target = [...current];
      target.forEach((b, i) => {
        if (!gone.has(b)) return;
        const choice = staying
          .filter((s) => !target.includes(s))
          .sort((x, y) => load.get(x)! - load.get(y)! || x - y)[0];
        if (choice === undefined) {
          throw new PlanError(
            `Cannot move ${t.topic}-${partition} off broker ${b}: it has ${current.length} replicas and only ` +
              `${staying.length} other broker${staying.length === 1 ? '' : 's'} (${staying.join(', ') || 'none'}) remain`,
          );
        }
        target[i] = choice;
        load.set(choice, load.get(choice)! + 1);
      });
      partitions.push({ topic: t.topic, partition, replicas: target });
    });
  }
  return { version: 1, partitions };
}
