import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as BrokerProtoGrpcType } from './generated/broker';
import type { ProtoGrpcType as ControllerProtoGrpcType } from './generated/controller';
import type { ProtoGrpcType as GroupCoordinatorProtoGrpcType } from './generated/group_coordinator';
import type { ProtoGrpcType as ReplicationProtoGrpcType } from './generated/replication';

/**
 * How protobuf messages become JavaScript objects, on both ends of every call. The generated
 * types (scripts/gen-proto-types.mjs) are produced with the same settings, so they describe
 * exactly what handlers receive:
 * - `keepCase: false`: fields in camelCase (`error_code` is `errorCode`);
 * - `longs: String`: int64 fields arrive as decimal strings (convert with `int64ToNumber`);
 *   on the way out they accept number, string or Long;
 * - `enums: Number`: enum fields are numbers (ErrorCode values equal @tributary/errors codes);
 * - `bytes: Buffer`: bytes fields are Buffers;
 * - `defaults: true`: absent scalar fields read as their zero value and absent messages as null,
 *   except proto3 `optional` fields, which stay absent so presence is visible;
 * - `oneofs: true`: each oneof also gets a virtual field naming the member that is set.
 */
export const PROTO_LOADER_OPTIONS = Object.freeze({
  keepCase: false,
  longs: String,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
} satisfies protoLoader.Options);

/**
 * The proto root: `proto/` beside this package's dist/ in an installed package (the release
 * tarballs carry the contract there), else `proto/` at the repository root; the same path from
 * src/ and from dist/.
 */
export const PROTO_DIR = existsSync(path.resolve(__dirname, '../proto/tributary/v1'))
  ? path.resolve(__dirname, '../proto')
  : path.resolve(__dirname, '../../../proto');

/** The `tributary.v1` package directory, relative to PROTO_DIR. */
const PACKAGE_DIR = 'tributary/v1';

/** The loaded `tributary.v1` package: every service constructor, message and enum definition. */
export type TributaryProtoGrpcType = BrokerProtoGrpcType &
  ReplicationProtoGrpcType &
  ControllerProtoGrpcType &
  GroupCoordinatorProtoGrpcType;

let packageDefinition: protoLoader.PackageDefinition | undefined;
let grpcObject: TributaryProtoGrpcType | undefined;

/** Every .proto file of the package, relative to PROTO_DIR, sorted. */
export function tributaryProtoFiles(): string[] {
  return readdirSync(path.join(PROTO_DIR, PACKAGE_DIR))
    .filter((name) => name.endsWith('.proto'))
    .sort()
    .map((name) => `${PACKAGE_DIR}/${name}`);
}

/**
 * The package definition of all Tributary proto files, loaded once per process. Besides
 * `loadTributaryProto`, this is what server reflection (`@grpc/reflection`) takes.
 */
export function loadTributaryPackageDefinition(): protoLoader.PackageDefinition {
  packageDefinition ??= protoLoader.loadSync(tributaryProtoFiles(), {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [PROTO_DIR],
  });
  return packageDefinition;
}

/**
 * The loaded proto, typed with the generated types; loaded once per process.
 * `loadTributaryProto().tributary.v1.BrokerService.service` is what `server.addService` takes.
 */
export function loadTributaryProto(): TributaryProtoGrpcType {
  grpcObject ??= grpc.loadPackageDefinition(
    loadTributaryPackageDefinition(),
  ) as unknown as TributaryProtoGrpcType;
  return grpcObject;
}
