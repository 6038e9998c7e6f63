/**
 * FindCoordinator over Kafka: for a group, the answering broker itself. Brokers proxy the group
 * APIs to the group's Tributary coordinator over gRPC, so any broker can act as Kafka's group
 * coordinator. Transaction coordinators (key type 1) are not served: COORDINATOR_NOT_AVAILABLE.
 */
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';

const GROUP_KEY_TYPE = 0;
const COORDINATOR_NOT_AVAILABLE = 15;
const INVALID_GROUP_ID = 24;

/** This broker's node id and advertised Kafka address. */
export interface SelfNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: () => number;
}

export function findCoordinatorHandler(self: SelfNode): KafkaHandler {
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
    return { key, nodeId: self.nodeId, host: self.host, port: self.port(), errorCode: 0, errorMessage: null };
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
