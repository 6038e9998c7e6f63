import * as grpc from '@grpc/grpc-js';
import { traceContextInterceptor } from '@tributary/telemetry';
import { bearerTokenInterceptor, type TokenSource } from './call-credentials';
import type { BrokerServiceClient, BrokerServiceDefinition } from './generated/tributary/v1/BrokerService';
import type {
  ControllerServiceClient,
  ControllerServiceDefinition,
} from './generated/tributary/v1/ControllerService';
import type {
  GroupCoordinatorServiceClient,
  GroupCoordinatorServiceDefinition,
} from './generated/tributary/v1/GroupCoordinatorService';
import type {
  ReplicationServiceClient,
  ReplicationServiceDefinition,
} from './generated/tributary/v1/ReplicationService';
import { GRPC_CHANNEL_OPTIONS } from './grpc-options';
import { loadTributaryProto } from './loader';

/** The typed client of each Tributary gRPC service. */
export interface TributaryServiceClients {
  BrokerService: BrokerServiceClient;
  ControllerService: ControllerServiceClient;
  GroupCoordinatorService: GroupCoordinatorServiceClient;
  ReplicationService: ReplicationServiceClient;
}

/** The service definition (`server.addService`'s first argument) of each Tributary service. */
export interface TributaryServiceDefinitions {
  BrokerService: BrokerServiceDefinition;
  ControllerService: ControllerServiceDefinition;
  GroupCoordinatorService: GroupCoordinatorServiceDefinition;
  ReplicationService: ReplicationServiceDefinition;
}

/** A service of package tributary.v1, by its proto name. */
export type TributaryServiceName = keyof TributaryServiceClients;

/** The service names, e.g. to register health status per service. */
export const TRIBUTARY_SERVICE_NAMES: readonly TributaryServiceName[] = Object.freeze([
  'BrokerService',
  'ReplicationService',
  'ControllerService',
  'GroupCoordinatorService',
]);

export interface CreateClientOptions {
  /** Transport credentials. @default grpc.credentials.createInsecure() */
  credentials?: grpc.ChannelCredentials;
  /** Channel options merged over GRPC_CHANNEL_OPTIONS (these win). */
  channelOptions?: grpc.ChannelOptions;
  /**
   * The bearer token each call carries (asked per call, so it may be refreshed). Default: the
   * process's own (`setProcessToken`, set by a service), else none.
   */
  token?: TokenSource;
}

/**
 * Creates the typed client of a Tributary service at `address` (`host:port`), with
 * GRPC_CHANNEL_OPTIONS. Clients with the same address and options share grpc-js's connection
 * (its global subchannel pool), so creating one per component is cheap. Each call carries the
 * active sampled trace context, if any (`traceContextInterceptor`), and the bearer token of
 * `options.token` or of the process, if any (`bearerTokenInterceptor`). Close with `close()`.
 */
export function createClient<S extends TributaryServiceName>(
  service: S,
  address: string,
  options: CreateClientOptions = {},
): TributaryServiceClients[S] {
  const ClientConstructor = loadTributaryProto().tributary.v1[service];
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const channelOptions = { ...GRPC_CHANNEL_OPTIONS, ...options.channelOptions };
  // Every call carries the caller's sampled trace context (W3C `traceparent` metadata), so the
  // service that answers joins the trace; unsampled calls are untouched. grpc-js removes
  // `interceptors` from the options before it creates the channel: sharing is unchanged.
  return new ClientConstructor(address, credentials, {
    ...channelOptions,
    interceptors: [traceContextInterceptor, bearerTokenInterceptor(options.token)],
  }) as TributaryServiceClients[S];
}

/** The definition to pass to `server.addService(getServiceDefinition('BrokerService'), handlers)`. */
export function getServiceDefinition<S extends TributaryServiceName>(
  service: S,
): TributaryServiceDefinitions[S] {
  return loadTributaryProto().tributary.v1[service].service as TributaryServiceDefinitions[S];
}
