/**
 * Interim Metadata RPC served from the data plane's own etcd mirror (replica/metadata-watch.ts)
 * until issue 5's `handlers/metadata.ts` lands: brokers and topics with leaders, replicas and
 * ISR. The controller and coordinators are not reported by this fallback.
 */
import { TributaryError, toGrpcError } from '@tributary/errors';
import type {
  BrokerServiceHandlers,
  MetadataResponse,
  ProtoErrorCode__Output,
  TopicMetadata,
} from '@tributary/proto';
import type { MetadataWatch } from '../replica/metadata-watch';

export function fallbackMetadataHandler(
  watch: MetadataWatch,
  clusterId: string,
): BrokerServiceHandlers['Metadata'] {
  return (call, callback) => {
    try {
      const names = call.request.topics.length > 0 ? call.request.topics : [...watch.topics.keys()].sort();
      const topics: TopicMetadata[] = names.map((name) => {
        const t = watch.topics.get(name);
        if (t === undefined) {
          const e = new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`);
          return {
            name,
            errorCode: e.code as ProtoErrorCode__Output,
            errorMessage: e.message,
            partitions: [],
          };
        }
        return {
          name,
          topicId: t.topicId,
          partitions: t.replicas.map((replicas, partition) => {
            const s = watch.states.get(`${name}/${partition}`);
            const leader = s?.leader ?? -1;
            return {
              partition,
              leaderId: leader,
              leaderEpoch: s?.leaderEpoch ?? -1,
              replicas,
              isr: s?.isr ?? [],
              offlineReplicas: replicas.filter((r) => !watch.brokers.has(r)),
              ...(leader < 0
                ? { errorCode: 5 as ProtoErrorCode__Output, errorMessage: 'partition has no leader' }
                : {}),
            };
          }),
        };
      });
      const res: MetadataResponse = {
        clusterId,
        brokers: [...watch.brokers.values()].map((b) => ({
          brokerId: b.id,
          host: b.host,
          port: b.port,
          rack: b.rack ?? '',
        })),
        topics,
      };
      callback(null, res);
    } catch (err) {
      callback(toGrpcError(err));
    }
  };
}
