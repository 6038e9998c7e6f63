import type { ChannelCredentials } from '@grpc/grpc-js';
import { ErrorCode, fromGrpcError, TributaryError } from '@tributary/errors';
import {
  type BrokerServiceClient,
  createClient,
  int64ToNumber,
  type ListOffsetsResponse__Output,
  OffsetSpec,
  type OffsetSpec__Output,
} from '@tributary/proto';
import type { MetadataView } from '@tributary/registry';
import { type TpKey, tpKey } from './topic-partition';

/** What to look up in one partition. */
export type OffsetQuery =
  | { readonly spec: 'earliest' | 'latest' }
  | { readonly spec: 'timestamp'; readonly timestampMs: number };

/** One partition's answer: an offset (-1 when none), or an error code. */
export interface OffsetAnswer {
  readonly offset: number;
  readonly errorCode: number;
  readonly errorMessage: string;
}

/** Partition offsets from the brokers (DescribeGroups lag, AlterGroupOffsets), behind an interface for tests. */
export interface PartitionOffsets {
  list(
    query: OffsetQuery,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<TpKey, OffsetAnswer>>;
}

/**
 * Asks each partition's leader (BrokerService.ListOffsets). The leader and its address come from
 * the coordinator's MetadataView, the same watch-fed etcd mirror (`partitions/`, `brokers/`) a
 * broker answers Metadata from, so no Metadata round trip is needed. Partitions without a live
 * leader answer LEADER_NOT_AVAILABLE; a broker that fails or does not answer within `timeoutMs`
 * fails its partitions with the call's error (REQUEST_TIMED_OUT, BROKER_NOT_AVAILABLE, ...).
 */
export class BrokerPartitionOffsets implements PartitionOffsets {
  private readonly clients = new Map<string, BrokerServiceClient>();

  constructor(
    private readonly metadata: MetadataView,
    private readonly timeoutMs: number,
    /** Transport of the links to brokers (`ServiceContext.transport.links`). */
    private readonly credentials: ChannelCredentials,
  ) {}

  async list(
    query: OffsetQuery,
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<TpKey, OffsetAnswer>> {
    const answers = new Map<TpKey, OffsetAnswer>();
    const byAddress = new Map<string, { topic: string; partition: number }[]>();
    for (const { topic, partition } of partitions) {
      const leader = this.metadata.partition(topic, partition)?.value.leader ?? -1;
      const broker = leader >= 0 ? this.metadata.brokers().get(leader) : undefined;
      if (!broker) {
        answers.set(tpKey(topic, partition), {
          offset: -1,
          errorCode: ErrorCode.LEADER_NOT_AVAILABLE,
          errorMessage: `${topic}/${partition} has no live leader`,
        });
        continue;
      }
      const address = `${broker.host}:${broker.port}`;
      if (!byAddress.has(address)) byAddress.set(address, []);
      byAddress.get(address)!.push({ topic, partition });
    }
    await Promise.all(
      [...byAddress].map(async ([address, wanted]) => {
        try {
          const response = await this.call(address, query, wanted);
          for (const t of response.topics) {
            for (const p of t.partitions) {
              answers.set(tpKey(t.topic, p.partition), {
                offset: p.errorCode === 0 ? int64ToNumber(p.offset, 'offset') : -1,
                errorCode: p.errorCode,
                errorMessage: p.errorMessage,
              });
            }
          }
        } catch (err) {
          const error = err instanceof TributaryError ? err : fromGrpcError(err as Error);
          for (const { topic, partition } of wanted) {
            answers.set(tpKey(topic, partition), {
              offset: -1,
              errorCode: error.code,
              errorMessage: error.message,
            });
          }
        }
      }),
    );
    for (const { topic, partition } of partitions) {
      const key = tpKey(topic, partition);
      if (!answers.has(key)) {
        answers.set(key, {
          offset: -1,
          errorCode: ErrorCode.REQUEST_TIMED_OUT,
          errorMessage: 'no answer from the leader',
        });
      }
    }
    return answers;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private call(
    address: string,
    query: OffsetQuery,
    wanted: readonly { topic: string; partition: number }[],
  ): Promise<ListOffsetsResponse__Output> {
    let client = this.clients.get(address);
    if (!client) {
      client = createClient('BrokerService', address, { credentials: this.credentials });
      this.clients.set(address, client);
    }
    const spec: OffsetSpec__Output =
      query.spec === 'earliest'
        ? OffsetSpec.OFFSET_SPEC_EARLIEST
        : query.spec === 'latest'
          ? OffsetSpec.OFFSET_SPEC_LATEST
          : OffsetSpec.OFFSET_SPEC_TIMESTAMP;
    const topics = new Map<string, { partition: number; spec: OffsetSpec__Output; timestampMs: number }[]>();
    for (const { topic, partition } of wanted) {
      if (!topics.has(topic)) topics.set(topic, []);
      topics
        .get(topic)!
        .push({ partition, spec, timestampMs: query.spec === 'timestamp' ? query.timestampMs : 0 });
    }
    return new Promise((resolve, reject) => {
      client.listOffsets(
        { topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) },
        { deadline: Date.now() + this.timeoutMs },
        (err, response) =>
          err || !response ? reject(err ?? new Error('empty response')) : resolve(response),
      );
    });
  }
}
