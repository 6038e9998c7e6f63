/**
 * DescribeCluster, DescribeTopics and DescribeConfigs: answered from the active controller's view
 * (no etcd round trip), in the proto's shapes.
 */
import { ErrorCode, TributaryError } from '@tributary/errors';
import {
  type ConfigEntry,
  ConfigResourceType,
  ConfigSource,
  type DescribeClusterResponse,
  type DescribeConfigsRequest__Output,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
  type DescribeTopicsRequest__Output,
  type DescribeTopicsResponse,
  type TopicDescription,
} from '@tributary/proto';
import { describeEndpoints, describePartitions, type MetadataView, numericId } from '@tributary/registry';
import { describeTopicConfig } from '@tributary/topic-config';
import { protoCode } from './admin-handlers';
import { topicNameProblem } from './topic-validation';

/** Who answers: this controller. */
export interface ControllerIdentity {
  readonly id: string;
  readonly host: string;
  readonly port: number;
}

export function describeCluster(
  view: MetadataView,
  clusterId: string,
  self: ControllerIdentity,
  epoch: number,
): DescribeClusterResponse {
  const endpoints = describeEndpoints(view);
  return {
    clusterId,
    controller: { controllerId: numericId(self.id), host: self.host, port: self.port },
    controllerEpoch: epoch,
    brokers: endpoints.brokers,
    coordinators: endpoints.coordinators,
  };
}

export function describeTopics(
  view: MetadataView,
  request: DescribeTopicsRequest__Output,
): DescribeTopicsResponse {
  const names =
    request.names.length > 0
      ? request.names
      : [...view.topics()]
          .filter(([, t]) => !t.value.deleting)
          .map(([name]) => name)
          .sort();
  return {
    topics: names.map((name): TopicDescription => {
      const problem = topicNameProblem(name);
      if (problem !== undefined) {
        return {
          name,
          errorCode: protoCode(ErrorCode.INVALID_TOPIC),
          errorMessage: problem,
          partitions: [],
          configs: {},
        };
      }
      const partitions = describePartitions(view, name);
      const record = view.topic(name)?.value;
      if (!partitions || !record) {
        return {
          name,
          errorCode: protoCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
          errorMessage: `Topic ${name} does not exist`,
          partitions: [],
          configs: {},
        };
      }
      return {
        name,
        topicId: record.topicId,
        partitions: partitions.map((p) => ({ ...p, errorCode: protoCode(p.errorCode) })),
        configs: { ...record.configs },
      };
    }),
  };
}

export function describeConfigs(
  view: MetadataView,
  request: DescribeConfigsRequest__Output,
): DescribeConfigsResponse {
  return {
    results: request.resources.map((resource): DescribeConfigsResult => {
      const base = { type: resource.type, name: resource.name };
      try {
        const entries =
          resource.type === ConfigResourceType.CONFIG_RESOURCE_TYPE_TOPIC
            ? topicEntries(view, resource.name, request.includeDocumentation)
            : resource.type === ConfigResourceType.CONFIG_RESOURCE_TYPE_BROKER
              ? brokerEntries(view, resource.name)
              : undefined;
        if (!entries)
          throw new TributaryError('INVALID_REQUEST', `Unknown config resource type ${resource.type}`);
        const wanted = new Set(resource.configNames);
        const unknown = [...wanted].filter((n) => !entries.some((e) => e.name === n));
        if (unknown.length > 0) {
          throw new TributaryError(
            'INVALID_REQUEST',
            `Unknown config names for ${resource.name}: ${unknown.join(', ')}`,
          );
        }
        const chosen = wanted.size > 0 ? entries.filter((e) => wanted.has(e.name!)) : entries;
        return { ...base, entries: chosen.sort((a, b) => a.name!.localeCompare(b.name!)) };
      } catch (err) {
        const error =
          err instanceof TributaryError ? err : new TributaryError('UNKNOWN_SERVER_ERROR', String(err));
        return { ...base, errorCode: protoCode(error.code), errorMessage: error.message, entries: [] };
      }
    }),
  };
}

function topicEntries(view: MetadataView, name: string, documentation: boolean): ConfigEntry[] {
  const problem = topicNameProblem(name);
  if (problem !== undefined) throw new TributaryError('INVALID_REQUEST', problem);
  const record = view.topic(name)?.value;
  if (!record || record.deleting)
    throw new TributaryError('UNKNOWN_TOPIC_OR_PARTITION', `Topic ${name} does not exist`);
  return describeTopicConfig(record.configs).map((e) => ({
    name: e.name,
    value: e.value,
    source: e.isDefault ? ConfigSource.CONFIG_SOURCE_DEFAULT : ConfigSource.CONFIG_SOURCE_TOPIC,
    readOnly: false,
    isSensitive: false,
    documentation: documentation ? `${e.doc} (type: ${e.type})` : '',
  }));
}

/** A broker's settings as far as the registry knows them: what it registered with. Read-only. */
function brokerEntries(view: MetadataView, name: string): ConfigEntry[] {
  const id = /^\d+$/.test(name) ? Number(name) : Number.NaN;
  if (!Number.isSafeInteger(id))
    throw new TributaryError('INVALID_REQUEST', `Broker resource name "${name}" is not a broker id`);
  const broker = view.brokers().get(id);
  if (!broker) throw new TributaryError('BROKER_NOT_AVAILABLE', `Broker ${id} is not registered`);
  const entry = (key: string, value: string | null): ConfigEntry => ({
    name: key,
    ...(value === null ? {} : { value }),
    source: ConfigSource.CONFIG_SOURCE_BROKER,
    readOnly: true,
    isSensitive: false,
    documentation: '',
  });
  return [
    entry('broker.id', String(broker.id)),
    entry('advertised.host', broker.host),
    entry('port', String(broker.port)),
    entry('rack', broker.rack),
  ];
}
