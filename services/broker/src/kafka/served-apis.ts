/**
 * The APIs the Kafka listener serves, each with its handler. ApiVersions advertises exactly
 * these; an API missing here is one Tributary does not speak.
 */
import type { ClusterMetadata } from '../cluster';
import type { DataPlaneDeps } from '../handlers/broker-service';
import type { ClusterClients } from './cluster-clients';
import { apiVersionsHandler } from './handlers/api-versions';
import { fetchHandler } from './handlers/fetch';
import { findCoordinatorHandler, type SelfNode } from './handlers/find-coordinator';
import { initProducerIdHandler } from './handlers/init-producer-id';
import { listOffsetsHandler } from './handlers/list-offsets';
import { metadataHandler } from './handlers/metadata';
import { produceHandler } from './handlers/produce';
import { API_VERSIONS } from './messages/api-versions';
import { FETCH } from './messages/fetch';
import { FIND_COORDINATOR } from './messages/find-coordinator';
import { INIT_PRODUCER_ID } from './messages/init-producer-id';
import { LIST_OFFSETS } from './messages/list-offsets';
import { METADATA } from './messages/metadata';
import { PRODUCE } from './messages/produce';
import type { ServedApi } from './served-api';

export interface KafkaFrontDoorDeps {
  readonly dataPlane: DataPlaneDeps;
  readonly metadata: ClusterMetadata;
  readonly clusterId: string;
  readonly self: SelfNode;
  readonly clients: ClusterClients;
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
      brokerId: deps.self.nodeId,
    }),
  });
  add({ api: PRODUCE, handle: produceHandler(deps.dataPlane) });
  add({ api: FETCH, handle: fetchHandler(deps.dataPlane) });
  add({ api: LIST_OFFSETS, handle: listOffsetsHandler(deps.dataPlane) });
  add({ api: INIT_PRODUCER_ID, handle: initProducerIdHandler(deps.clients) });
  add({ api: FIND_COORDINATOR, handle: findCoordinatorHandler(deps.self) });
  return served;
}
