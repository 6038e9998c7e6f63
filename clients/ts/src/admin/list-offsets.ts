import { TributaryError } from '@tributary/errors';
import { int64ToNumber, type ListOffsetsResponse__Output, OffsetSpec } from '@tributary/proto';
import { itemError } from '../errors';
import { retry } from '../internal/retry';
import type { Cluster } from '../rpc/cluster';
import { promisify } from '../rpc/unary';

/** What to look up. */
export type OffsetQuery =
  | { spec: 'earliest' }
  | { spec: 'latest' }
  | { spec: 'timestamp'; timestamp: number };

/**
 * Looks up one offset per partition at each partition's leader (ListOffsets), refreshing
 * metadata and retrying on leadership errors. Returns partition -> offset (-1: none).
 */
export async function listOffsets(
  cluster: Cluster,
  topic: string,
  partitions: readonly number[],
  query: OffsetQuery,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let pending = [...partitions];
  await retry(cluster.retry, async () => {
    const md = await cluster.metadata([topic]);
    const t = md.topics[0];
    if (t === undefined || t.errorCode !== 0) {
      throw itemError(t?.errorCode ?? 3, t?.errorMessage ?? `Unknown topic ${topic}`, { topic });
    }
    const brokers = new Map(md.brokers.map((b) => [b.brokerId, `${b.host}:${b.port}`]));
    // By partition number once, so grouping 10,000 partitions is linear, not a scan per partition.
    const leaderOf = new Map(t.partitions.map((x) => [x.partition, x.leaderId]));
    const byLeader = new Map<string, number[]>();
    for (const p of pending) {
      const leaderId = leaderOf.get(p);
      const address = leaderId === undefined ? undefined : brokers.get(leaderId);
      if (address === undefined) {
        throw new TributaryError('LEADER_NOT_AVAILABLE', `Partition ${topic}-${p} has no live leader`, {
          context: { topic, partition: p },
        });
      }
      const list = byLeader.get(address);
      if (list === undefined) byLeader.set(address, [p]);
      else list.push(p);
    }
    const spec =
      query.spec === 'earliest'
        ? OffsetSpec.OFFSET_SPEC_EARLIEST
        : query.spec === 'latest'
          ? OffsetSpec.OFFSET_SPEC_LATEST
          : OffsetSpec.OFFSET_SPEC_TIMESTAMP;
    const timestampMs = query.spec === 'timestamp' ? query.timestamp : 0;
    const failed: TributaryError[] = [];
    await Promise.all(
      [...byLeader].map(async ([address, ps]) => {
        const deadline = new Date(Date.now() + cluster.timeoutMs);
        const res = await promisify<ListOffsetsResponse__Output>((cb) =>
          cluster
            .broker(address)
            .ListOffsets(
              { topics: [{ topic, partitions: ps.map((partition) => ({ partition, spec, timestampMs })) }] },
              { deadline },
              cb,
            ),
        );
        for (const rt of res.topics) {
          for (const rp of rt.partitions) {
            if (rp.errorCode !== 0) {
              failed.push(itemError(rp.errorCode, rp.errorMessage, { topic, partition: rp.partition }));
            } else out.set(rp.partition, int64ToNumber(rp.offset, 'offset'));
          }
        }
      }),
    );
    pending = pending.filter((p) => !out.has(p));
    if (failed.length > 0) throw failed.find((e) => !e.retriable) ?? failed[0];
  });
  return out;
}
