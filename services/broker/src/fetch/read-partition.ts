/**
 * Reading one partition for a consumer: the checks every consumer read makes (leadership,
 * leader epoch, offset range) and the read below the high watermark, in either record format.
 * Shared by Fetch and FetchStream. It sees a partition only as a `LeaderReplica` (the read side
 * of its log), found through `LeaderLookup`.
 */
import { TributaryError } from '@tributary/errors';
import type { FetchPartitionResponse, Record as ProtoRecord } from '@tributary/proto';
import { batchesIn, decodeBatchRecords, TimestampType } from '@tributary/record-batch';
import type { LeaderLookup, LeaderReplica } from '../replica/leader-replica';
import { partitionError } from '../replica/partition-error';
import type { MetadataView } from '../replica/replica-manager';

/** What consumer reads need of the broker. */
export interface FetchDeps {
  readonly leaders: LeaderLookup;
  readonly metadata: MetadataView;
}

export interface PartitionRead {
  readonly response: FetchPartitionResponse;
  /** Record bytes returned (batch bytes, or the stored size of the decoded batches). */
  readonly bytes: number;
  /** The offset after the last record returned; the fetch offset when nothing was. */
  readonly nextOffset: number;
  readonly error: boolean;
  /** The replica read, when this broker leads the partition (what a long poll waits on). */
  readonly replica: LeaderReplica | undefined;
}

/**
 * Reads `partition` from `fetchOffset`, at most `maxBytes` (soft: with `firstWhole`, the first
 * batch goes whole), below the high watermark. Offsets outside [log start, log end] are
 * OFFSET_OUT_OF_RANGE (log_start_offset and high_watermark give the valid range); offsets
 * between the high watermark and the log end read nothing.
 */
export function readPartition(
  deps: FetchDeps,
  topic: string,
  partition: number,
  fetchOffset: number,
  epoch: number | undefined,
  maxBytes: number,
  records: boolean,
): PartitionRead {
  let p: LeaderReplica | undefined;
  try {
    p = deps.leaders.leaderReplica(topic, partition, epoch);
    const log = p.log;
    const hw = log.highWatermark;
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${fetchOffset} is outside [${log.logStartOffset}, ${hw}] of ${topic}/${partition}`,
      );
    }
    const read =
      fetchOffset >= hw || maxBytes <= 0
        ? { bytes: Buffer.alloc(0), nextOffset: fetchOffset }
        : log.readBatches(fetchOffset, maxBytes, hw);
    const response: FetchPartitionResponse = {
      partition,
      fetchOffset,
      highWatermark: hw,
      logStartOffset: log.logStartOffset,
    };
    if (records) response.records = decodePlain(read.bytes, fetchOffset);
    else response.recordBatches = read.bytes;
    return { response, bytes: read.bytes.length, nextOffset: read.nextOffset, error: false, replica: p };
  } catch (err) {
    return {
      response: {
        partition,
        fetchOffset,
        highWatermark: p?.log.highWatermark ?? -1,
        logStartOffset: p?.log.logStartOffset ?? -1,
        ...partitionError(err, deps.metadata, topic, partition),
      },
      bytes: 0,
      nextOffset: fetchOffset,
      error: true,
      replica: p,
    };
  }
}

function decodePlain(data: Buffer, fetchOffset: number): ProtoRecord[] {
  const out: ProtoRecord[] = [];
  for (const { position, header } of batchesIn(data)) {
    if (header.isControl) continue;
    const records = decodeBatchRecords(data, position);
    const type = header.timestampType === TimestampType.LogAppendTime ? 2 : 1;
    for (const r of records) {
      if (r.offset < fetchOffset) continue;
      out.push({
        ...(r.key === null ? {} : { key: r.key }),
        ...(r.value === null ? {} : { value: r.value }),
        headers: r.headers.map((h) => ({ key: h.key, ...(h.value === null ? {} : { value: h.value }) })),
        timestampMs: r.timestamp,
        offset: r.offset,
        timestampType: type,
      });
    }
  }
  return out;
}
