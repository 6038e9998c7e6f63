import type { EnumTypeDefinition } from '@grpc/proto-loader';
import { ERROR_TABLE } from '@tributary/errors';
import { getServiceDefinition, TRIBUTARY_SERVICE_NAMES } from './clients';
import {
  loadTributaryPackageDefinition,
  loadTributaryProto,
  PROTO_LOADER_OPTIONS,
  tributaryProtoFiles,
} from './loader';

/** Every RPC of the contract, with its streaming shape. */
const EXPECTED_RPCS = {
  BrokerService: {
    Produce: 'unary',
    ProduceStream: 'bidi',
    Fetch: 'unary',
    FetchStream: 'bidi',
    ListOffsets: 'unary',
    Metadata: 'unary',
  },
  ReplicationService: {
    ReplicaFetch: 'bidi',
    OffsetForLeaderEpoch: 'unary',
  },
  ControllerService: {
    CreateTopics: 'unary',
    DeleteTopics: 'unary',
    CreatePartitions: 'unary',
    DescribeCluster: 'unary',
    DescribeTopics: 'unary',
    DescribeConfigs: 'unary',
    AlterConfigs: 'unary',
    ElectLeaders: 'unary',
    InitProducerId: 'unary',
    ControlledShutdown: 'unary',
    AlterPartitionReassignments: 'unary',
    ListPartitionReassignments: 'unary',
    CreateAcls: 'unary',
    DescribeAcls: 'unary',
    DeleteAcls: 'unary',
  },
  GroupCoordinatorService: {
    FindCoordinator: 'unary',
    GroupSession: 'bidi',
    CommitOffsets: 'unary',
    FetchOffsets: 'unary',
    ListGroups: 'unary',
    DescribeGroups: 'unary',
    DeleteGroups: 'unary',
    AlterGroupOffsets: 'unary',
  },
} as const;

function shape(method: { requestStream: boolean; responseStream: boolean }): string {
  if (method.requestStream && method.responseStream) return 'bidi';
  if (method.requestStream) return 'client-stream';
  if (method.responseStream) return 'server-stream';
  return 'unary';
}

describe('loadTributaryProto', () => {
  it('finds the six proto files of tributary.v1', () => {
    expect(tributaryProtoFiles()).toEqual([
      'tributary/v1/broker.proto',
      'tributary/v1/common.proto',
      'tributary/v1/controller.proto',
      'tributary/v1/errors.proto',
      'tributary/v1/group_coordinator.proto',
      'tributary/v1/replication.proto',
    ]);
  });

  it('loads once and caches', () => {
    expect(loadTributaryProto()).toBe(loadTributaryProto());
    expect(loadTributaryPackageDefinition()).toBe(loadTributaryPackageDefinition());
  });

  it.each(Object.entries(EXPECTED_RPCS))('loads %s with every RPC of the contract', (service, rpcs) => {
    const definition = loadTributaryProto().tributary.v1[service as keyof typeof EXPECTED_RPCS].service;
    const actual = Object.fromEntries(
      Object.entries(definition).map(([name, method]) => [name, shape(method)]),
    );
    expect(actual).toEqual(rpcs);
    expect(Object.values(definition).map((method) => method.path)).toEqual(
      Object.keys(rpcs).map((rpc) => `/tributary.v1.${service}/${rpc}`),
    );
  });

  it('names the same services as TRIBUTARY_SERVICE_NAMES and getServiceDefinition', () => {
    expect([...TRIBUTARY_SERVICE_NAMES].sort()).toEqual(Object.keys(EXPECTED_RPCS).sort());
    for (const name of TRIBUTARY_SERVICE_NAMES) {
      expect(getServiceDefinition(name)).toBe(loadTributaryProto().tributary.v1[name].service);
    }
  });

  it('has the ErrorCode enum of the error table', () => {
    const errorCode = loadTributaryProto().tributary.v1.ErrorCode as EnumTypeDefinition;
    const values = (errorCode.type as { value: { name: string; number: number }[] }).value;
    expect(values.map((v) => [v.name, v.number])).toEqual(
      ERROR_TABLE.map((row) => [`ERROR_CODE_${row.name}`, row.code]),
    );
  });

  it('uses the decoding options the generated types assume', () => {
    expect(PROTO_LOADER_OPTIONS).toEqual({
      keepCase: false,
      longs: String,
      enums: Number,
      bytes: Buffer,
      defaults: true,
      oneofs: true,
    });
    expect(Object.isFrozen(PROTO_LOADER_OPTIONS)).toBe(true);
  });
});
