/** `tributary consume TOPIC ...`: prints records, one per line, until a limit, a timeout or Ctrl-C. */
import type { Consumer } from '../consumer/consumer';
import type { ConsumerMessage } from '../consumer/types';
import { processMessage } from '../telemetry/process-tracing';
import type { Tributary } from '../tributary';
import type { ConsumeArgs } from './commands/records';
import type { Output } from './output';

type ConsumeCommand = ConsumeArgs;

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

/** One printed line for a message. */
export function formatMessage(m: ConsumerMessage, format: 'value' | 'json', printKey: boolean): string {
  if (format === 'json') {
    const headers: Record<string, string | null> = {};
    for (const h of m.headers) headers[h.key] = text(h.value);
    return JSON.stringify({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: text(m.key),
      value: text(m.value),
      headers,
    });
  }
  const value = text(m.value) ?? 'null';
  return printKey ? `${text(m.key) ?? 'null'}\t${value}` : value;
}

async function start(t: Tributary, c: ConsumeCommand, consumer: Consumer): Promise<void> {
  if (c.group !== undefined && c.offset === undefined && c.fromTimestamp === undefined) {
    await consumer.subscribe({ topics: [c.topic], fromBeginning: c.fromBeginning });
    return;
  }
  const admin = t.admin();
  if (c.offset !== undefined) {
    await consumer.assign([{ topic: c.topic, partition: c.partition!, offset: c.offset }]);
    return;
  }
  const ranges = await admin.fetchTopicOffsets(c.topic);
  const wanted = c.partition === undefined ? ranges : ranges.filter((r) => r.partition === c.partition);
  if (c.fromTimestamp !== undefined) {
    const found = await admin.fetchTopicOffsetsByTimestamp(c.topic, c.fromTimestamp);
    await consumer.assign(
      wanted.map((r) => {
        const at = found.get(r.partition) ?? -1;
        return { topic: c.topic, partition: r.partition, offset: at >= 0 ? at : r.latest };
      }),
    );
    return;
  }
  await consumer.assign(
    wanted.map((r) => ({
      topic: c.topic,
      partition: r.partition,
      offset: c.fromBeginning ? r.earliest : r.latest,
    })),
  );
}

export async function consume(t: Tributary, c: ConsumeCommand, io: Output): Promise<{ messages: number }> {
  const consumer = t.consumer({
    ...(c.group === undefined ? {} : { groupId: c.group }),
    autoOffsetReset: c.fromBeginning ? 'earliest' : 'latest',
    autoCommitIntervalMs: 1000,
  });
  let count = 0;
  let idle: NodeJS.Timeout | undefined;
  let timedOut = false;
  const stop = () => void consumer.disconnect();
  const armIdle = () => {
    if (c.timeoutMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => {
      timedOut = true;
      stop();
    }, c.timeoutMs);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    armIdle();
    await start(t, c, consumer);
    if (!timedOut) {
      for await (const m of consumer) {
        // Printing is this consumer's processing: a record its producer sampled gets a
        // `process` span (child of and linked to the send) when OTEL_* turns tracing on.
        await processMessage(m, c.group, () => io.out(formatMessage(m, c.format, c.printKey)));
        count++;
        armIdle();
        if (c.maxMessages !== undefined && count >= c.maxMessages) break;
      }
    }
  } finally {
    clearTimeout(idle);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await consumer.disconnect();
  }
  if (!c.json) io.err(`Processed a total of ${count} messages`);
  return { messages: count };
}
