/**
 * @tributary/proto: the gRPC contract (proto/tributary/v1) for TypeScript.
 *
 * - Loading: `loadTributaryProto()` (typed, cached), `PROTO_LOADER_OPTIONS`, `PROTO_DIR`.
 * - Clients and servers: `createClient(service, address)`, `getServiceDefinition(service)`,
 *   `GRPC_CHANNEL_OPTIONS`, `SERVER_OPTIONS`.
 * - int64 fields: `int64ToNumber(value, field)` where they enter from the wire, `numberToInt64`.
 * - Every generated message, enum and service type, e.g.
 *   `import type { ProduceRequest__Output, BrokerServiceHandlers } from '@tributary/proto'`.
 *   `Foo` is what you may send (permissive: int64 as number | string | Long, fields optional),
 *   `Foo__Output` what you receive (int64 as string, defaults filled in). The proto enum
 *   ErrorCode is exported as `ProtoErrorCode` (keys ERROR_CODE_*); code uses @tributary/errors'
 *   `ErrorCode`, whose numbers are the same.
 *
 * The generated types live in src/generated/ (gitignored), written by `npm run gen`.
 */
export { bearerTokenInterceptor, setProcessToken, type TokenSource } from './call-credentials';
export {
  type CreateClientOptions,
  createClient,
  getServiceDefinition,
  TRIBUTARY_SERVICE_NAMES,
  type TributaryServiceClients,
  type TributaryServiceDefinitions,
  type TributaryServiceName,
} from './clients';
export * from './generated/index';
export {
  FLOW_CONTROL_WINDOW_BYTES,
  GRPC_CHANNEL_OPTIONS,
  MAX_MESSAGE_BYTES,
  SERVER_OPTIONS,
} from './grpc-options';
export { type Int64Value, int64ToNumber, type LongLike, numberToInt64 } from './int64';
export {
  loadTributaryPackageDefinition,
  loadTributaryProto,
  PROTO_DIR,
  PROTO_LOADER_OPTIONS,
  type TributaryProtoGrpcType,
  tributaryProtoFiles,
} from './loader';
export { CertificateFiles, TlsFileError, type TlsFiles } from './tls/certificate-files';
export { type ClientTlsOptions, createChannelCredentials } from './tls/channel-credentials';
