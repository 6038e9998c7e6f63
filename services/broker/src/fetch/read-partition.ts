/**
 * Reading one partition for a consumer: the checks every consumer read makes (leadership,
 * leader epoch, offset range) and the read below the high watermark, in either record format.
 * Shared by Fetch and FetchStream.
 */
import { TributaryError } from '@tributary/errors';
import type { FetchPartitionResponse, ProtoErrorCode__Output, Record as ProtoRecord } from '@tributary/proto';
import { batchesIn, decodeRecordBatch, TimestampType } from '@tributary/record-batch';
import type { Partition } from '../replica/partition';
import type { MetadataView } from '../replica/replica-manager';

/** What consumer reads need of the broker. */
export interface FetchDeps {
  readonly partitions: { get(topic: string, partition: number): Partition | undefined };
  readonly metadata: MetadataView;
}

export interface PartitionRead {
  readonly response: FetchPartitionResponse;
  /** Record bytes returned (batch bytes, or the stored size of the decoded batches). */
  readonly bytes: number;
  /** The offset after the last record returned; the fetch offset when nothing was. */
  readonly nextOffset: number;
  readonly error: boolean;
}

/** The leader replica of a partition, or the error a consumer gets for it. */
export function leaderFor(
  deps: FetchDeps,
  topic: string,
  partition: number,
  epoch: number | undefined,
): Partition {
  const p = deps.partitions.get(topic, partition);
  if (p === undefined || !p.isLeader) {
    if (!deps.metadata.partitionExists(topic, partition))
      throw new TributaryError(
        'UNKNOWN_TOPIC_OR_PARTITION',
        `unknown topic or partition ${topic}/${partition}`,
      );
    throw new TributaryError('NOT_LEADER_OR_FOLLOWER', `this broker does not lead ${topic}/${partition}`);
  }
  p.checkLeaderEpoch(epoch);
  return p;
}

/** The error part of a partition result, with a leader hint for leadership errors. */
export function errorFields(
  deps: FetchDeps,
  topic: string,
  partition: number,
  err: unknown,
): {
  errorCode: ProtoErrorCode__Output;
  errorMessage: string;
  currentLeader?: { leaderId: number; leaderEpoch: number };
} {
  const e =
    err instanceof TributaryError
      ? err
      : new TributaryError('STORAGE_ERROR', String((err as Error)?.message ?? err));
  const leadership = ['NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH'].includes(
    e.errorName,
  );
  return {
    errorCode: e.code as ProtoErrorCode__Output,
    errorMessage: e.message,
    ...(leadership
      ? { currentLeader: deps.metadata.leaderOf(topic, partition) ?? { leaderId: -1, leaderEpoch: -1 } }
      : {}),
  };
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
  let p: Partition | undefined;
  try {
    p = leaderFor(deps, topic, partition, epoch);
    const log = p.log;
    const hw = log.highWatermark;
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      throw new TributaryError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${fetchOffset} is outside [${log.logStartOffset}, ${hw}] of ${topic}/${partition}`,
      );
    }
    const data = fetchOffset >= hw || maxBytes <= 0 ? Buffer.alloc(0) : log.read(fetchOffset, maxBytes, hw);
    let nextOffset = fetchOffset;
    for (const { header } of batchesIn(data)) nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
    const response: FetchPartitionResponse = {
      partition,
      fetchOffset,
      highWatermark: hw,
      logStartOffset: log.logStartOffset,
    };
    if (records) response.records = decodePlain(data, fetchOffset);
    else response.recordBatches = data;
    return { response, bytes: data.length, nextOffset, error: false };
  } catch (err) {
    return {
      response: {
        partition,
        fetchOffset,
        highWatermark: p?.log.highWatermark ?? -1,
        logStartOffset: p?.log.logStartOffset ?? -1,
        ...errorFields(deps, topic, partition, err),
      },
      bytes: 0,
      nextOffset: fetchOffset,
      error: true,
    };
  }
}

function decodePlain(data: Buffer, fetchOffset: number): ProtoRecord[] {
  const out: ProtoRecord[] = [];
  for (const { position, header } of batchesIn(data)) {
    if (header.isControl) continue;
    const batch = decodeRecordBatch(data, position);
    const type = header.timestampType === TimestampType.LogAppendTime ? 2 : 1;
    for (const r of batch.records) {
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

/**
 * Resolves when any of `partitions` moves its high watermark or changes role, or after
 * `timeoutMs`: how long polls wait without polling.
 */
export function waitForChange(
  partitions: readonly Partition[],
  timeoutMs: number,
  extra?: (wake: () => void) => () => void,
  /** Consumers wake on the high watermark; the leader's replication side on appends. */
  on: 'highWatermark' | 'append' = 'highWatermark',
): Promise<void> {
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    let done = false;
    const wake = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const off of offs) off();
      resolve();
    };
    const timer = setTimeout(wake, Math.max(0, timeoutMs));
    for (const p of partitions) {
      offs.push(on === 'append' ? p.log.onAppend(wake) : p.log.onHighWatermark(wake));
      offs.push(p.onRoleChange(wake));
    }
    if (extra) offs.push(extra(wake));
  });
}
