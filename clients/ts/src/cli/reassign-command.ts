/**
 * `tributary partitions reassign` (Kafka's `kafka-reassign-partitions`): --generate prints a
 * plan (stdout; the current assignment for rollback goes to stderr), --execute starts it,
 * --verify says per partition whether it is done, --cancel stops it. docs/operations.md.
 */
import { readFileSync } from 'node:fs';
import {
  currentPlan,
  formatPlan,
  generateDecommission,
  generateSpread,
  PlanError,
  parsePlan,
  type ReassignmentPlan,
  type TopicAssignment,
} from '../admin/reassignment-plan';
import type { Tributary } from '../tributary';
import type { PartitionsReassignArgs } from './commands/partitions';
import { UsageError } from './flags';
import { json, type Output } from './output';

function readPlan(file: string): ReassignmentPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --plan ${file}: ${(err as Error).message}`);
  }
  try {
    return parsePlan(text, file);
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
}

const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB/s` : `${n} B/s`);

export async function partitionsReassign(t: Tributary, c: PartitionsReassignArgs, io: Output): Promise<void> {
  const admin = t.admin();
  const assignment = async (names: readonly string[]): Promise<TopicAssignment[]> =>
    (await admin.describeTopics(names)).map((topic) => ({
      topic: topic.name,
      replicas: topic.partitions.map((p) => p.replicas),
    }));

  if (c.mode === 'generate') {
    const topics = await assignment(c.topics);
    let plan: ReassignmentPlan;
    try {
      if (c.brokers) plan = generateSpread(topics, c.brokers);
      else {
        const live = (await admin.describeCluster()).brokers.map((b) => b.id);
        plan = generateDecommission(topics, live, c.decommission ?? []);
      }
    } catch (err) {
      if (err instanceof PlanError) throw new UsageError(err.message);
      throw err;
    }
    const moved = new Set(plan.partitions.map((p) => `${p.topic}/${p.partition}`));
    const before = currentPlan(topics).partitions.filter((p) => moved.has(`${p.topic}/${p.partition}`));
    io.err(
      `Current replica assignment (save it to roll back):\n${formatPlan({ version: 1, partitions: before })}`,
    );
    io.err(`Proposed reassignment of ${plan.partitions.length} partition(s) (stdout):`);
    io.out(formatPlan(plan));
    return;
  }

  const plan = readPlan(c.plan!);
  if (c.mode === 'execute' || c.mode === 'cancel') {
    const outcomes = await admin.alterPartitionReassignments(
      plan.partitions.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        replicas: c.mode === 'cancel' ? null : p.replicas,
      })),
      { throttleBytesPerSec: c.throttle ?? 0 },
    );
    const failed = outcomes.filter(
      (o) => o.error && !(c.mode === 'cancel' && o.error.errorName === 'NO_REASSIGNMENT_IN_PROGRESS'),
    );
    if (c.json) {
      io.out(
        json(
          outcomes.map((o) => ({
            topic: o.topic,
            partition: o.partition,
            ...(o.error ? { error: o.error.errorName, message: o.error.message } : {}),
          })),
        ),
      );
    } else {
      for (const o of outcomes) {
        if (o.error) io.out(`${o.topic}-${o.partition}: ${o.error.errorName}: ${o.error.message}`);
      }
      const idle = outcomes.filter((o) => o.error?.errorName === 'NO_REASSIGNMENT_IN_PROGRESS').length;
      const ok = outcomes.length - failed.length - (c.mode === 'cancel' ? idle : 0);
      io.out(
        c.mode === 'execute'
          ? `Started the reassignment of ${ok} of ${outcomes.length} partition(s)${c.throttle ? `, throttled to ${bytes(c.throttle)} per leader` : ''}. Run --verify --plan ${c.plan} to follow it.`
          : `Cancelled the reassignment of ${ok} of ${outcomes.length} partition(s)${idle > 0 ? `; ${idle} had none in progress` : ''}.`,
      );
    }
    if (failed.length > 0) {
      throw new Error(
        `${failed.length} of ${outcomes.length} partition(s) were refused and left unchanged (see above)`,
      );
    }
    return;
  }

  // verify
  const [ongoing, topics] = await Promise.all([
    admin.listPartitionReassignments([...new Set(plan.partitions.map((p) => p.topic))]),
    admin.describeTopics([...new Set(plan.partitions.map((p) => p.topic))]).catch(() => []),
  ]);
  const moving = new Map<string, (typeof ongoing)[number]>(
    ongoing.map((o) => [`${o.topic}/${o.partition}`, o]),
  );
  const replicasOf = new Map<string, readonly number[]>(
    topics.flatMap((t) => t.partitions.map((p) => [`${t.name}/${p.partition}`, p.replicas] as const)),
  );
  const results = plan.partitions.map((p) => {
    const key = `${p.topic}/${p.partition}`;
    const o = moving.get(key);
    const now = replicasOf.get(key);
    if (o) {
      return {
        ...p,
        status: 'in-progress' as const,
        detail: `adding [${o.adding.join(',')}], removing [${o.removing.join(',')}], ISR [${o.isr.join(',')}]${o.throttleBytesPerSec > 0 ? `, throttled to ${bytes(o.throttleBytesPerSec)}` : ''}`,
      };
    }
    if (now && now.length === p.replicas.length && now.every((b, i) => p.replicas[i] === b))
      return { ...p, status: 'done' as const, detail: '' };
    return {
      ...p,
      status: 'failed' as const,
      detail: now ? `its replicas are [${now.join(',')}], not the plan's` : 'unknown topic or partition',
    };
  });
  const done = results.filter((r) => r.status === 'done').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  if (c.json) io.out(json(results));
  else {
    for (const r of results) {
      const what = `Reassignment of partition ${r.topic}-${r.partition}`;
      if (r.status === 'done') io.out(`${what} is complete.`);
      else if (r.status === 'in-progress') io.out(`${what} is still in progress: ${r.detail}.`);
      else io.out(`${what} failed: ${r.detail}.`);
    }
    io.out(
      done === results.length
        ? `All ${done} partition(s) are reassigned. No throttle remains: a throttle ends with each partition's reassignment.`
        : `${done} of ${results.length} partition(s) done, ${results.length - done - failed} in progress${failed > 0 ? `, ${failed} failed` : ''}.`,
    );
  }
  if (failed > 0)
    throw new Error(`${failed} partition(s) do not have the plan's replicas and are not being moved`);
}
