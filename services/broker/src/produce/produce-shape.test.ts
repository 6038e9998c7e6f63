import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, TributaryError } from '@tributary/errors';
import type { ProduceRequest__Output } from '@tributary/proto';
import { encodeRecordBatch } from '@tributary/record-batch';
import { Partition } from '../replica/partition';
import { DEFAULT_DATA_PLANE_CONFIG } from '../replica/settings';
import { PartitionLog } from '../storage';
import { prepareProduce } from './produce';

/**
 * Shape of an acks=all produce across many partitions (issue 13): one timer for the request, not
 * one per partition. The follower (broker 1) never fetches, so every partition times out.
 */
const TOPIC = 't';
const PARTITIONS = 100;
const TIMEOUT_MS = 300;

test('an acks=all request over 100 partitions arms one timeout and times every partition out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'produce-shape-'));
  const partitions: Partition[] = [];
  try {
    for (let p = 0; p < PARTITIONS; p++) {
      const log = await PartitionLog.open({ dir: join(dir, `${TOPIC}-${p}`) });
      const partition = new Partition(TOPIC, p, log, 0, Date.now);
      partition.makeLeader({
        leader: 0,
        leaderEpoch: 1,
        isr: [0, 1],
        replicas: [0, 1],
        partitionEpoch: 0,
        minInsyncReplicas: 1,
      });
      partitions.push(partition);
    }
    const batch = encodeRecordBatch([{ key: null, value: Buffer.from('v') }]);
    const req = {
      acks: -1,
      timeoutMs: TIMEOUT_MS,
      topics: [
        {
          topic: TOPIC,
          partitions: partitions.map((p) => ({
            partition: p.partition,
            data: 'recordBatches',
            recordBatches: batch,
          })),
        },
      ],
    } as unknown as ProduceRequest__Output;
    const prepared = prepareProduce(req, {
      leaders: {
        leaderReplica: (topic, partition) => {
          const found = topic === TOPIC ? partitions[partition] : undefined;
          if (!found) throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `${topic}-${partition}`);
          return found;
        },
      },
      metadata: { leaderOf: () => ({ leaderId: 0, leaderEpoch: 1 }), partitionExists: () => true },
      config: DEFAULT_DATA_PLANE_CONFIG,
    });
    const timeouts = jest.spyOn(global, 'setTimeout');
    const res = await prepared.run();
    expect(timeouts.mock.calls.filter(([, ms]) => ms === TIMEOUT_MS)).toHaveLength(1);
    timeouts.mockRestore();
    const results = res.topics![0]!.partitions!;
    expect(results).toHaveLength(PARTITIONS);
    for (const r of results) expect(r.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
  } finally {
    for (const p of partitions) p.log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
