/**
 * The APIs the Kafka listener serves, each with its handler. ApiVersions advertises exactly
 * these; an API missing here is one Tributary does not speak.
 */
import type { AclAuthorizer } from '@tributary/auth';
import type { ClusterMetadata } from '../cluster';
import type { DataPlaneDeps } from '../handlers/broker-service';
import type { ClusterClients } from './cluster-clients';
import { deleteGroupsHandler, describeGroupsHandler, listGroupsHandler } from './groups/group-admin';
import type { KafkaGroupMembership } from './groups/group-membership';
import { offsetCommitHandler, offsetFetchHandler } from './groups/group-offsets';
import { apiVersionsHandler } from './handlers/api-versions';
import { describeClusterHandler } from './handlers/describe-cluster';
import { describeConfigsHandler } from './handlers/describe-configs';
import { fetchHandler } from './handlers/fetch';
import { findCoordinatorHandler } from './handlers/find-coordinator';
import { initProducerIdHandler } from './handlers/init-producer-id';
import { listOffsetsHandler } from './handlers/list-offsets';
import { metadataHandler } from './handlers/metadata';
import { offsetForLeaderEpochHandler } from './handlers/offset-for-leader-epoch';
import { produceHandler } from './handlers/produce';
import { createPartitionsHandler, createTopicsHandler, deleteTopicsHandler } from './handlers/topic-admin';
import { authorizeKafkaApis } from './kafka-authorization';
import { API_VERSIONS } from './messages/api-versions';
import {
  DELETE_GROUPS,
  DESCRIBE_CLUSTER,
  DESCRIBE_CONFIGS,
  OFFSET_FOR_LEADER_EPOCH,
} from './messages/cluster-admin';
import { DESCRIBE_GROUPS } from './messages/describe-groups';
import { FETCH } from './messages/fetch';
import { FIND_COORDINATOR } from './messages/find-coordinator';
import { HEARTBEAT } from './messages/heartbeat';
import { INIT_PRODUCER_ID } from './messages/init-producer-id';
import { JOIN_GROUP } from './messages/join-group';
import { LEAVE_GROUP } from './messages/leave-group';
import { LIST_GROUPS } from './messages/list-groups';
import { LIST_OFFSETS } from './messages/list-offsets';
import { METADATA } from './messages/metadata';
import { OFFSET_COMMIT } from './messages/offset-commit';
import { OFFSET_FETCH } from './messages/offset-fetch';
import { PRODUCE } from './messages/produce';
import { SASL_AUTHENTICATE, SASL_HANDSHAKE } from './messages/sasl';
import { SYNC_GROUP } from './messages/sync-group';
import { CREATE_PARTITIONS, CREATE_TOPICS, DELETE_TOPICS } from './messages/topic-admin';
import { type SaslLogger, saslAuthenticateHandler, saslHandshakeHandler } from './sasl/sasl-handlers';
import type { ServedApi } from './served-api';

export interface KafkaFrontDoorDeps {
  readonly dataPlane: DataPlaneDeps;
  readonly metadata: ClusterMetadata;
  readonly clusterId: string;
  /** This broker's id. */
  readonly brokerId: number;
  readonly clients: ClusterClients;
  readonly groups: KafkaGroupMembership;
  /** Authentication is on: serve SaslHandshake and SaslAuthenticate (logging refusals here). */
  readonly sasl?: { readonly logger: SaslLogger };
  /** ACLs are on: every API but ApiVersions and SASL is authorized by them. */
  readonly authorizer?: () => AclAuthorizer;
}

/** Every served API by key. */
export function servedApis(deps: KafkaFrontDoorDeps): Map<number, ServedApi> {
  const served = new Map<number, ServedApi>();
  const add = (s: ServedApi) => served.set(s.api.key, s);
  add({ api: API_VERSIONS, handle: apiVersionsHandler(() => served.values()) });
  add({
    api: METADATA,
    handle: metadataHandler({
      metadata: deps.metadata,
      clusterId: deps.clusterId,
      brokerId: deps.brokerId,
    }),
  });
  add({ api: PRODUCE, handle: produceHandler(deps.dataPlane) });
  add({ api: FETCH, handle: fetchHandler(deps.dataPlane) });
  add({ api: LIST_OFFSETS, handle: listOffsetsHandler(deps.dataPlane) });
  add({ api: INIT_PRODUCER_ID, handle: initProducerIdHandler(deps.clients) });
  add({ api: FIND_COORDINATOR, handle: findCoordinatorHandler(deps.metadata) });
  add({ api: JOIN_GROUP, handle: deps.groups.joinGroup });
  add({ api: SYNC_GROUP, handle: deps.groups.syncGroup });
  add({ api: HEARTBEAT, handle: deps.groups.heartbeat });
  add({ api: LEAVE_GROUP, handle: deps.groups.leaveGroup });
  add({ api: OFFSET_COMMIT, handle: offsetCommitHandler(deps.clients) });
  add({ api: OFFSET_FETCH, handle: offsetFetchHandler(deps.clients) });
  add({ api: LIST_GROUPS, handle: listGroupsHandler(deps.clients) });
  add({ api: DESCRIBE_GROUPS, handle: describeGroupsHandler(deps.clients) });
  add({ api: DELETE_GROUPS, handle: deleteGroupsHandler(deps.clients) });
  add({ api: CREATE_TOPICS, handle: createTopicsHandler(deps.clients) });
  add({ api: DELETE_TOPICS, handle: deleteTopicsHandler(deps.clients) });
  add({ api: CREATE_PARTITIONS, handle: createPartitionsHandler(deps.clients) });
  add({ api: DESCRIBE_CONFIGS, handle: describeConfigsHandler(deps.clients) });
  add({
    api: DESCRIBE_CLUSTER,
    handle: describeClusterHandler(deps.metadata, deps.clusterId, deps.brokerId),
  });
  add({ api: OFFSET_FOR_LEADER_EPOCH, handle: offsetForLeaderEpochHandler(deps.dataPlane.replicas) });
  if (deps.sasl) {
    add({ api: SASL_HANDSHAKE, handle: saslHandshakeHandler });
    add({ api: SASL_AUTHENTICATE, handle: saslAuthenticateHandler(deps.sasl.logger) });
  }
  if (deps.authorizer) authorizeKafkaApis(served, deps.authorizer);
  return served;
}
