/**
 * The mutating admin RPCs (CreateTopics, CreatePartitions, DeleteTopics, AlterConfigs,
 * ElectLeaders, InitProducerId): proto in, domain calls on the ActiveController's queue, proto out.
 * Per-item failures become error_code/error_message; a FencedError fails the whole request (the
 * controller is stepping down) and reaches the client as NOT_CONTROLLER.
 */
import { ErrorCode, type ItemError, TributaryError, toItemError } from '@tributary/errors';
import {
  AlterConfigOp,
  type AlterConfigsRequest__Output,
  type AlterConfigsResponse,
  ConfigResourceType,
  type ControlledShutdownRequest__Output,
  type ControlledShutdownResponse,
  type CreatePartitionsRequest__Output,
  type CreatePartitionsResponse,
  type CreateTopicsRequest__Output,
  type CreateTopicsResponse,
  type CreateTopicsResult,
  type DeleteTopicsRequest__Output,
  type DeleteTopicsResponse,
  ElectionType,
  type ElectLeadersRequest__Output,
  type ElectLeadersResponse,
  type InitProducerIdRequest__Output,
  type InitProducerIdResponse,
  int64ToNumber,
  type ProtoErrorCode__Output,
} from '@tributary/proto';
import type { ActiveController } from './active-controller';
import { byTopic } from './by-topic';
import type { ElectionResult } from './leadership';
import { FencedError } from './metadata-writer';
import type { ConfigChange, TopicSpec } from './topic-admin';

/** An error code as the generated types spell it (the numbers are the same). */
export const protoCode = (code: number): ProtoErrorCode__Output => code as ProtoErrorCode__Output;

/** The error of one item; FencedError and non-Tributary errors are rethrown (whole request). */
function itemError(err: unknown): ItemError<ProtoErrorCode__Output> {
  if (err instanceof TributaryError) return toItemError(err);
  throw err;
}

export async function createTopics(
  controller: ActiveController,
  request: CreateTopicsRequest__Output,
): Promise<CreateTopicsResponse> {
  const seen = new Set<string>();
  const results: CreateTopicsResult[] = [];
  for (const topic of request.topics) {
    const spec: TopicSpec = {
      name: topic.name,
      numPartitions: topic.numPartitions,
      replicationFactor: topic.replicationFactor,
      configs: topic.configs ?? {},
      assignments: topic.assignments.map((a) => ({ partition: a.partition, brokerIds: a.brokerIds })),
    };
    const failed = { name: topic.name, numPartitions: -1, replicationFactor: -1 };
    try {
      if (seen.has(topic.name)) {
        throw new TributaryError(
          'INVALID_REQUEST',
          `Topic ${topic.name} appears more than once in the request`,
        );
      }
      seen.add(topic.name);
      const outcome = await controller.mutate(async () => {
        const { replicas } = controller.topics.plan(spec);
        const existing = controller.view.topic(spec.name)?.value;
        if (existing) {
          throw new TributaryError(
            'TOPIC_ALREADY_EXISTS',
            existing.deleting
              ? `Topic ${spec.name} is being deleted; create it again once the deletion completes`
              : `Topic ${spec.name} already exists`,
          );
        }
        if (request.validateOnly) {
          return {
            name: spec.name,
            topicId: '',
            numPartitions: replicas.length,
            replicationFactor: replicas[0]!.length,
          };
        }
        return controller.topics.create(spec, replicas, request.timeoutMs);
      });
      results.push(outcome);
    } catch (err) {
      results.push({ ...failed, ...itemError(err) });
    }
  }
  return { topics: results };
}

export async function createPartitions(
  controller: ActiveController,
  request: CreatePartitionsRequest__Output,
): Promise<CreatePartitionsResponse> {
  const topics = [];
  for (const t of request.topics) {
    try {
      await controller.mutate(() =>
        controller.topics.createPartitions(t.name, t.count, request.validateOnly),
      );
      topics.push({ name: t.name });
    } catch (err) {
      topics.push({ name: t.name, ...itemError(err) });
    }
  }
  return { topics };
}

export async function deleteTopics(
  controller: ActiveController,
  request: DeleteTopicsRequest__Output,
): Promise<DeleteTopicsResponse> {
  const topics = [];
  for (const name of request.names) {
    try {
      const topicId = await controller.mutate(() => controller.topics.delete(name));
      topics.push({ name, topicId });
    } catch (err) {
      topics.push({ name, ...itemError(err) });
    }
  }
  return { topics };
}

export async function alterConfigs(
  controller: ActiveController,
  request: AlterConfigsRequest__Output,
): Promise<AlterConfigsResponse> {
  const results = [];
  for (const resource of request.resources) {
    const base = { type: resource.type, name: resource.name };
    try {
      if (resource.type !== ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC) {
        throw new TributaryError(
          'INVALID_REQUEST',
          resource.type === ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER
            ? 'Broker configuration is static (read at start-up) and cannot be altered'
            : `Unknown config resource type ${resource.type}`,
        );
      }
      const changes: ConfigChange[] = resource.configs.map((c) => {
        if (c.op === AlterConfigOp.ALTER_CONFIG_OP_SET) return { name: c.name, op: 'set', value: c.value };
        if (c.op === AlterConfigOp.ALTER_CONFIG_OP_DELETE) return { name: c.name, op: 'delete', value: '' };
        throw new TributaryError('INVALID_REQUEST', `Config ${c.name} has no operation (set or delete)`);
      });
      await controller.mutate(() =>
        controller.topics.alterConfigs(resource.name, changes, request.validateOnly),
      );
      results.push(base);
    } catch (err) {
      results.push({ ...base, ...itemError(err) });
    }
  }
  return { results };
}

export async function electLeaders(
  controller: ActiveController,
  request: ElectLeadersRequest__Output,
): Promise<ElectLeadersResponse> {
  const type =
    request.electionType === ElectionType.ELECTION_TYPE_PREFERRED
      ? 'preferred'
      : request.electionType === ElectionType.ELECTION_TYPE_UNCLEAN
        ? 'unclean'
        : undefined;
  if (!type) throw new TributaryError('INVALID_REQUEST', 'election_type must be PREFERRED or UNCLEAN');
  const results = await controller.mutate(async () => {
    if (request.topics.length === 0) return controller.leadership.elect(type);
    const wanted = request.topics.flatMap((t) => {
      const count = controller.view.topic(t.topic)?.value.replicas.length ?? 0;
      const partitions = t.partitions.length > 0 ? t.partitions : count > 0 ? [...Array(count).keys()] : [-1];
      return partitions.map((partition) => ({ topic: t.topic, partition }));
    });
    return controller.leadership.elect(type, wanted);
  });
  const resultsByTopic = byTopic(results, (r) => r.topic);
  const code = (r: ElectionResult): ProtoErrorCode__Output => protoCode(rawCode(r));
  const rawCode = (r: ElectionResult): number => {
    switch (r.outcome) {
      case 'elected':
        return ErrorCode.NONE;
      case 'not-needed':
        return ErrorCode.ELECTION_NOT_NEEDED;
      case 'unknown':
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      case 'not-available':
        return type === 'preferred'
          ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE
          : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
    }
  };
  return {
    topics: [...resultsByTopic].map(([topic, rs]) => ({
      topic,
      partitions: rs.map((r) => ({
        partition: r.partition,
        errorCode: code(r),
        errorMessage: r.message,
        leaderId: r.leader,
        leaderEpoch: r.leaderEpoch,
      })),
    })),
  };
}

export async function initProducerId(
  controller: ActiveController,
  request: InitProducerIdRequest__Output,
): Promise<InitProducerIdResponse> {
  const current = request.current
    ? {
        producerId: int64ToNumber(request.current.producerId, 'current.producer_id'),
        producerEpoch: int64ToNumber(request.current.producerEpoch, 'current.producer_epoch'),
      }
    : undefined;
  if (current && (current.producerId < 0 || current.producerEpoch < 0 || current.producerEpoch > 32767)) {
    throw new TributaryError(
      'INVALID_REQUEST',
      'current.producer_id must be >= 0 and producer_epoch in 0..32767',
    );
  }
  await controller.ready();
  return controller.producerIds.init(request.transactionalId, current);
}

/** ControlledShutdown: leadership off a stopping broker (Leadership.shutdown). */
export async function controlledShutdown(
  controller: ActiveController,
  request: ControlledShutdownRequest__Output,
): Promise<ControlledShutdownResponse> {
  const brokerId = request.brokerId;
  await controller.ready();
  if (!controller.view.brokers().has(brokerId)) {
    throw new TributaryError('BROKER_NOT_AVAILABLE', `broker ${brokerId} is not registered`);
  }
  const result = await controller.mutate(() => controller.leadership.shutdown(brokerId));
  return {
    moved: result.moved,
    remaining: [...byTopic(result.remaining, (r) => r.topic)].map(([topic, remaining]) => ({
      topic,
      partitions: remaining.map((r) => r.partition),
    })),
  };
}

/** Whether an error means the answering controller lost its epoch mid-request. */
export const isFenced = (err: unknown): err is FencedError => err instanceof FencedError;
