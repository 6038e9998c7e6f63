/**
 * InitProducerId over Kafka: proxied to the active controller's InitProducerId, the one place
 * producer ids are handed out (the same path Tributary's own idempotent producer takes). A
 * transactional id fences older instances there; transactions themselves are not served.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type { InitProducerIdRequest, InitProducerIdResponse__Output } from '@tributary/proto';
import { type ClusterClients, callUnary } from '../cluster-clients';
import type { KafkaHandler } from '../served-api';

export function initProducerIdHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const transactionalId = body['transactionalId'] as string | null;
    const producerId = body['producerId'] as number;
    const producerEpoch = body['producerEpoch'] as number;
    const request: InitProducerIdRequest = {
      ...(transactionalId !== null ? { transactionalId } : {}),
      ...(producerId >= 0 ? { current: { producerId, producerEpoch } } : {}),
    };
    try {
      const controller = clients.controller();
      const res = await callUnary<InitProducerIdRequest, InitProducerIdResponse__Output>(
        controller,
        controller.InitProducerId,
        request,
      );
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        producerId: Number(res.producerId),
        producerEpoch: Number(res.producerEpoch),
      };
    } catch (err) {
      const e = err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
      return { throttleTimeMs: 0, errorCode: kafkaErrorCode(e.code), producerId: -1, producerEpoch: -1 };
    }
  };
}
