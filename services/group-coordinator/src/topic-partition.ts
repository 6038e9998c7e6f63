/**
 * Partitions inside the coordinator are `TpKey` strings, `<topic>/<partition>` (topic names hold
 * no `/`): cheap to hash, compare and log. These helpers convert to and from the proto's
 * `TopicPartitions` lists and sort in (topic, partition number) order.
 */

/** `<topic>/<partition>`. */
export type TpKey = string;

export const tpKey = (topic: string, partition: number): TpKey => `${topic}/${partition}`;

export function parseTp(key: TpKey): { topic: string; partition: number } {
  const slash = key.lastIndexOf('/');
  return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)) };
}

/** Orders by topic name, then partition number. */
export function compareTp(a: TpKey, b: TpKey): number {
  const x = parseTp(a);
  const y = parseTp(b);
  if (x.topic !== y.topic) return x.topic < y.topic ? -1 : 1;
  return x.partition - y.partition;
}

export const sortTps = (keys: Iterable<TpKey>): TpKey[] => [...keys].sort(compareTp);

/** Proto shape: one entry per topic with its partition numbers, topics and partitions sorted. */
export function toTopicPartitions(keys: Iterable<TpKey>): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const key of sortTps(keys)) {
    const { topic, partition } = parseTp(key);
    let list = byTopic.get(topic);
    if (!list) {
      list = [];
      byTopic.set(topic, list);
    }
    list.push(partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

export function fromTopicPartitions(
  lists: readonly { topic: string; partitions: readonly number[] }[] | undefined,
): TpKey[] {
  const out: TpKey[] = [];
  for (const { topic, partitions } of lists ?? []) for (const p of partitions) out.push(tpKey(topic, p));
  return out;
}
