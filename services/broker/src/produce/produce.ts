/**
 * Produce on the leader (ARCHITECTURE §5): per partition, validate and append, then answer by
 * `acks` — 0 at once without offsets, 1 once appended, -1 once the high watermark covers the
 * batch (NOT_ENOUGH_REPLICAS before appending when the ISR is below min.insync.replicas,
 * REQUEST_TIMED_OUT after timeout_ms). Partitions fail independently; a failed partition
 * appended nothing. Appends run synchronously in request order, so for any one partition the
 * offsets and the acks=-1 completions follow the order requests arrived in.
 */
import { TributaryError } from '@tributary/errors';
import {
  int64ToNumber,
  type ProducePartitionData__Output,
  type ProducePartitionResponse,
  type ProduceRequest__Output,
  type ProduceResponse,
  type ProduceTopicResponse,
} from '@tributary/proto';
import { encodeRecordBatch, type RecordInput } from '@tributary/record-batch';
import type { LeaderLookup } from '../replica/leader-replica';
import type { AcksDeadline, Partition } from '../replica/partition';
import { partitionError } from '../replica/partition-error';
import type { MetadataView } from '../replica/replica-manager';
import type { DataPlaneConfig } from '../replica/settings';
import type { ProduceObserver, ProduceScope } from './produce-telemetry';

/** What produce needs of the broker: the replicas it leads and the cluster view for hints. */
export interface ProduceDeps {
  readonly leaders: LeaderLookup<Partition>;
  readonly metadata: MetadataView;
  readonly config: DataPlaneConfig;
  /** Metrics and spans of each request (produce-telemetry.ts); none when absent. */
  readonly observer?: ProduceObserver;
}

/** A parsed produce request: the topic-partitions it touches (for response ordering). */
export interface PreparedProduce {
  readonly keys: readonly string[];
  run(): Promise<ProduceResponse>;
}

/**
 * Checks a whole request (acks, total size) and returns its per-partition work; throws a
 * TributaryError for a whole-request failure (INVALID_REQUIRED_ACKS, RECORD_LIST_TOO_LARGE).
 * Appends happen when `run` is called, synchronously up to the acks=-1 wait.
 */
export function prepareProduce(req: ProduceRequest__Output, deps: ProduceDeps): PreparedProduce {
  const acks = req.acks ?? -1;
  if (acks !== 0 && acks !== 1 && acks !== -1)
    throw new TributaryError('INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, not ${acks}`);
  let total = 0;
  const keys: string[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      total += p.recordBatches?.length ?? 0;
      keys.push(`${t.topic}/${p.partition}`);
    }
  }
  if (total > deps.config.requestMaxBytes)
    throw new TributaryError(
      'RECORD_LIST_TOO_LARGE',
      `produce request carries ${total} bytes of records, more than request.max.bytes ${deps.config.requestMaxBytes}`,
    );
  if (new Set(keys).size !== keys.length)
    throw new TributaryError('INVALID_REQUEST', 'a topic-partition appears more than once in the request');
  const timeoutMs = req.timeoutMs > 0 ? req.timeoutMs : deps.config.produceTimeoutDefaultMs;
  return { keys, run: () => runProduce(req, acks, timeoutMs, deps) };
}

async function runProduce(
  req: ProduceRequest__Output,
  acks: number,
  timeoutMs: number,
  deps: ProduceDeps,
): Promise<ProduceResponse> {
  const waits = new ReplicationWaits();
  const deadline = acks === -1 ? new RequestDeadline(timeoutMs) : undefined;
  const scope = deps.observer?.begin(req, acks);
  const topics: ProduceTopicResponse[] = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const result: ProducePartitionResponse = {
        partition: p.partition,
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
      };
      appendOne(t.topic, p, acks, deadline, deps, result, waits, scope);
      if (acks === 0) {
        // Fire-and-forget: no offsets and no append errors (broker.proto, ProduceRequest.acks).
        result.baseOffset = -1;
        delete result.errorCode;
        delete result.errorMessage;
        delete result.currentLeader;
      }
      return result;
    }),
  }));
  const replicated = waits.registered();
  if (replicated !== undefined) await replicated;
  deadline?.finish();
  scope?.end();
  return { topics };
}

function appendOne(
  topic: string,
  data: ProducePartitionData__Output,
  acks: number,
  deadline: RequestDeadline | undefined,
  deps: ProduceDeps,
  out: ProducePartitionResponse,
  waits: ReplicationWaits,
  scope: ProduceScope | undefined,
): void {
  const fail = (err: unknown) => {
    Object.assign(out, partitionError(err, deps.metadata, topic, data.partition));
    out.baseOffset = -1;
  };
  try {
    const p = deps.leaders.leaderReplica(topic, data.partition);
    let bytes: Buffer;
    if (data.data === 'recordBatches' && data.recordBatches !== undefined) bytes = data.recordBatches;
    else if (data.data === 'records' && data.records) bytes = encodePlain(data.records.records);
    else throw new TributaryError('INVALID_REQUEST', 'neither record_batches nor records is set');
    const r = scope
      ? scope.append(topic, data.partition, data.traced, bytes.length, () =>
          p.appendAsLeader(bytes, acks === -1),
        )
      : p.appendAsLeader(bytes, acks === -1);
    out.baseOffset = r.baseOffset;
    out.logAppendTimeMs = r.logAppendTime;
    out.logStartOffset = p.log.logStartOffset;
    if (deadline !== undefined) {
      const done = (err: TributaryError | undefined) => {
        if (err !== undefined) fail(err);
        waits.done();
      };
      const callback = scope ? scope.replicationWait(topic, data.partition, data.traced, done) : done;
      // Counted only once nothing can throw before the wait holds the callback: a count never
      // matched by a `done` would keep the request from ever being answered.
      waits.add();
      p.awaitHighWatermark(r.endOffset, deadline, callback);
    }
  } catch (err) {
    fail(err);
  }
}

/**
 * The acks=all waits of one request, counted: one promise per request rather than a promise and
 * a `then` per partition (a request carries hundreds of one-record batches when keys spread
 * records over thousands of partitions, docs/scale.md).
 */
class ReplicationWaits {
  /** Waits not done, plus one until every partition is registered (a wait may end at once). */
  #pending = 1;
  #resolve: (() => void) | undefined;

  add(): void {
    this.#pending++;
  }

  done(): void {
    if (--this.#pending === 0) this.#resolve?.();
  }

  /** Every partition is registered: undefined when nothing is left to wait for, else a promise. */
  registered(): Promise<void> | undefined {
    if (--this.#pending === 0) return undefined;
    return new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }
}

/** One timer for every partition an acks=all request waits on (see AcksDeadline). */
class RequestDeadline implements AcksDeadline {
  readonly #expire: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly timeoutMs: number) {}

  onExpire(expire: () => void): void {
    this.#expire.push(expire);
    this.#timer ??= setTimeout(() => {
      for (const f of this.#expire) f();
    }, this.timeoutMs);
  }

  /** The request is answered: the timer goes. */
  finish(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}

function encodePlain(
  records: readonly {
    key?: Buffer;
    value?: Buffer;
    headers: { key: string; value?: Buffer }[];
    timestampMs: string;
  }[],
): Buffer {
  if (records.length === 0) throw new TributaryError('INVALID_RECORD', 'records is empty');
  const inputs: RecordInput[] = records.map((r, i) => {
    const ts = int64ToNumber(r.timestampMs, `records[${i}].timestamp_ms`);
    if (ts < -1) throw new TributaryError('INVALID_TIMESTAMP', `record ${i} has timestamp ${ts}`);
    return {
      key: r.key ?? null,
      value: r.value ?? null,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value ?? null })),
      ...(ts > 0 ? { timestamp: ts } : {}),
    };
  });
  return encodeRecordBatch(inputs);
}
