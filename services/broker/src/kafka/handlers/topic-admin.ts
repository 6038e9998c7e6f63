/**
 * CreateTopics, DeleteTopics and CreatePartitions over Kafka, proxied to the active controller's
 * RPCs of the same names. Kafka's -1 ("the broker's default") for partitions and replication
 * factor is Tributary's 0. A failure of the call itself (no controller, timeout) is reported on
 * every topic of the request.
 */
import { kafkaErrorCode, TributaryError } from '@tributary/errors';
import type {
  CreatePartitionsRequest,
  CreatePartitionsResponse__Output,
  CreateTopicsRequest,
  CreateTopicsResponse__Output,
  DeleteTopicsRequest,
  DeleteTopicsResponse__Output,
} from '@tributary/proto';
import { type ClusterClients, callUnary } from '../cluster-clients';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';

const codeOf = (err: unknown) => kafkaErrorCode(err instanceof TributaryError ? err.code : 1000);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: { partitionIndex: number; brokerIds: number[] }[];
  configs: { name: string; value: string | null }[];
}

export function createTopicsHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const topics = body['topics'] as CreatableTopic[];
    const request: CreateTopicsRequest = {
      validateOnly: body['validateOnly'] as boolean,
      timeoutMs: body['timeoutMs'] as number,
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: Math.max(0, t.numPartitions),
        replicationFactor: Math.max(0, t.replicationFactor),
        configs: Object.fromEntries(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!])),
        assignments: t.assignments.map((a) => ({ partition: a.partitionIndex, brokerIds: a.brokerIds })),
      })),
    };
    try {
      const controller = clients.controller();
      const res = await callUnary<CreateTopicsRequest, CreateTopicsResponse__Output>(
        controller,
        controller.CreateTopics,
        request,
      );
      return {
        throttleTimeMs: 0,
        topics: res.topics.map((t) => ({
          name: t.name,
          topicId: t.topicId || undefined,
          errorCode: kafkaErrorCode(Number(t.errorCode)),
          errorMessage: t.errorMessage || null,
          numPartitions: t.numPartitions || -1,
          replicationFactor: t.replicationFactor || -1,
          configs: [],
        })),
      };
    } catch (err) {
      return {
        throttleTimeMs: 0,
        topics: topics.map((t) => ({ name: t.name, errorCode: codeOf(err), errorMessage: messageOf(err) })),
      };
    }
  };
}

/** Per-topic results of a controller call, or its failure reported on every topic. */
async function perTopic(
  names: readonly string[],
  call: () => Promise<{ topics: { name: string; errorCode: unknown; errorMessage: string }[] }>,
): Promise<Message[]> {
  try {
    const res = await call();
    return res.topics.map((t) => ({
      name: t.name,
      errorCode: kafkaErrorCode(Number(t.errorCode)),
      errorMessage: t.errorMessage || null,
    }));
  } catch (err) {
    return names.map((name) => ({ name, errorCode: codeOf(err), errorMessage: messageOf(err) }));
  }
}

export function deleteTopicsHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const names = body['topicNames'] as string[];
    const responses = await perTopic(names, () => {
      const controller = clients.controller();
      return callUnary<DeleteTopicsRequest, DeleteTopicsResponse__Output>(
        controller,
        controller.DeleteTopics,
        {
          names,
        },
      );
    });
    return { throttleTimeMs: 0, responses };
  };
}

export function createPartitionsHandler(clients: ClusterClients): KafkaHandler {
  return async (body) => {
    const topics = body['topics'] as { name: string; count: number }[];
    const results = await perTopic(
      topics.map((t) => t.name),
      () => {
        const controller = clients.controller();
        return callUnary<CreatePartitionsRequest, CreatePartitionsResponse__Output>(
          controller,
          controller.CreatePartitions,
          {
            validateOnly: body['validateOnly'] as boolean,
            topics: topics.map((t) => ({ name: t.name, count: t.count })),
          },
        );
      },
    );
    return { throttleTimeMs: 0, results };
  };
}
