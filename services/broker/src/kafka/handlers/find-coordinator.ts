/**
 * FindCoordinator over Kafka: for a group, the broker its id hashes to (group-placement.ts), which
 * proxies the group APIs to the group's Tributary coordinator over gRPC. Transaction coordinators
 * (key type 1) are not served: COORDINATOR_NOT_AVAILABLE.
 */
import type { ClusterMetadata } from '../../cluster';
import { groupBroker } from '../groups/group-placement';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';

const GROUP_KEY_TYPE = 0;
const COORDINATOR_NOT_AVAILABLE = 15;
const INVALID_GROUP_ID = 24;

export function findCoordinatorHandler(metadata: ClusterMetadata): KafkaHandler {
  const lookup = (key: string, keyType: number): Message => {
    if (keyType !== GROUP_KEY_TYPE)
      return {
        key,
        nodeId: -1,
        host: '',
        port: -1,
        errorCode: COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'transactions are not supported',
      };
    if (key === '')
      return {
        key,
        nodeId: -1,
        host: '',
        port: -1,
        errorCode: INVALID_GROUP_ID,
        errorMessage: 'empty group id',
      };
    const broker = groupBroker(metadata, key);
    if (broker === undefined)
      return {
        key,
        nodeId: -1,
        host: '',
        port: -1,
        errorCode: COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'no broker has a Kafka listener',
      };
    return {
      key,
      nodeId: broker.nodeId,
      host: broker.host,
      port: broker.port,
      errorCode: 0,
      errorMessage: null,
    };
  };
  return (body, ctx) => {
    const keyType = body['keyType'] as number;
    if (ctx.version >= 4) {
      const keys = body['coordinatorKeys'] as string[];
      return { throttleTimeMs: 0, coordinators: keys.map((k) => lookup(k, keyType)) };
    }
    return { throttleTimeMs: 0, ...lookup(body['key'] as string, keyType) };
  };
}
