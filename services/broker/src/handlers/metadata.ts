/**
 * BrokerService.Metadata: the cluster as this broker's ClusterMetadata cache sees it (fed by etcd
 * watches, never a request to etcd): live brokers, the active controller, live group
 * coordinators, and topics with each partition's leader, leader epoch, replicas, ISR and offline
 * replicas. Any broker answers. An empty request describes every topic (topics being deleted are
 * left out); a named topic that does not exist gets UNKNOWN_TOPIC_OR_PARTITION, an illegal name
 * INVALID_TOPIC. Topics are never created by asking.
 */
import { ErrorCode, TributaryError, toGrpcError } from '@tributary/errors';
import type {
  BrokerServiceHandlers,
  MetadataResponse,
  ProtoErrorCode__Output,
  TopicMetadata,
} from '@tributary/proto';
import { describeEndpoints, topicNameProblem } from '@tributary/registry';
import type { ClusterMetadata } from '../cluster';
import { TopicMetadataCache } from './topic-metadata-cache';

const code = (n: number) => n as ProtoErrorCode__Output;

/** One answer cache per metadata mirror (the gRPC and the Kafka Metadata handlers share it). */
const caches = new WeakMap<ClusterMetadata, TopicMetadataCache>();

/** The topic answer cache of `metadata` (which must be loaded). */
export function topicMetadataCache(metadata: ClusterMetadata): TopicMetadataCache {
  let cache = caches.get(metadata);
  if (cache === undefined) {
    cache = new TopicMetadataCache(metadata);
    caches.set(metadata, cache);
  }
  return cache;
}

/** Answers a Metadata request from the cache. */
export function describeMetadata(
  metadata: ClusterMetadata,
  clusterId: string,
  names: readonly string[],
): MetadataResponse {
  const view = metadata.view;
  const answers = topicMetadataCache(metadata);
  const wanted =
    names.length > 0
      ? names
      : [...view.topics()]
          .filter(([, t]) => !t.value.deleting)
          .map(([name]) => name)
          .sort();
  const topics = wanted.map((name): TopicMetadata => {
    const problem = topicNameProblem(name);
    if (problem !== undefined) {
      return { name, errorCode: code(ErrorCode.INVALID_TOPIC), errorMessage: problem, partitions: [] };
    }
    return (
      answers.get(name) ?? {
        name,
        errorCode: code(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        errorMessage: `Topic ${name} does not exist`,
        partitions: [],
      }
    );
  });
  const endpoints = describeEndpoints(view);
  return {
    clusterId,
    controller: endpoints.controller,
    brokers: endpoints.brokers,
    coordinators: endpoints.coordinators,
    topics,
  };
}

/** The Metadata handler; until the cache has loaded it answers UNAVAILABLE (retriable). */
export function metadataHandler(
  metadata: ClusterMetadata,
  clusterId: string,
): BrokerServiceHandlers['Metadata'] {
  return (call, callback) => {
    try {
      if (!metadata.loaded)
        throw new TributaryError('BROKER_NOT_AVAILABLE', 'Cluster metadata is still loading');
      callback(null, describeMetadata(metadata, clusterId, call.request.topics));
    } catch (err) {
      callback(toGrpcError(err));
    }
  };
}
