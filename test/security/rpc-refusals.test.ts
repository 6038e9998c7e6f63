import { ErrorCode } from '@tributary/errors';
import type { EtcdConnection } from '@tributary/registry';
import { LocalCluster, waitFor } from '@tributary/test-kit';
import { callOnce, contractMethods, etcdSnapshot, openEtcd } from './security-helpers';

/**
 * Issue 20: every RPC of the contract, called without credentials, with bad ones, and as a
 * principal without ACLs, is refused (UNAUTHENTICATED; PERMISSION_DENIED, or the per-item
 * authorization error where an RPC answers per item) and changes nothing: every etcd key keeps
 * its mod revision and the topic's end offset stays put. The list of RPCs comes from the .proto
 * files the services load, so an RPC added to the contract without a sample request here fails
 * this test, and one added without an authorization policy fails it too (its call goes through).
 * Last, a super user's calls of the same requests are all let through.
 */
const TOPIC = 'secret';
const DOOMED = 'doomed';
const GROUP = 'g-secret';
const ADMIN = 'User:admin';

const produceRequest = {
  acks: 1,
  timeoutMs: 5000,
  topics: [
    { topic: TOPIC, partitions: [{ partition: 0, records: { records: [{ value: Buffer.from('x') }] } }] },
  ],
};

/** One request per RPC, each naming resources that exist, so an allowed call would change them. */
const SAMPLES: Record<string, object> = {
  'BrokerService/Produce': produceRequest,
  'BrokerService/ProduceStream': { correlationId: 1, request: produceRequest },
  'BrokerService/Fetch': {
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
  },
  'BrokerService/FetchStream': {
    start: {
      settings: { maxWaitMs: 100, minBytes: 0, maxBytes: 1 << 20 },
      partitions: [{ topic: TOPIC, partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }],
      credit: { responses: 1, bytes: 1 << 20 },
    },
  },
  'BrokerService/ListOffsets': { topics: [{ topic: TOPIC, partitions: [{ partition: 0, spec: 2 }] }] },
  'BrokerService/Metadata': { topics: [TOPIC] },
  'ReplicationService/ReplicaFetch': {
    replicaId: 0,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [
      {
        topic: TOPIC,
        partitions: [
          {
            partition: 0,
            fetchOffset: 0,
            currentLeaderEpoch: 0,
            logStartOffset: 0,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
  },
  'ReplicationService/OffsetForLeaderEpoch': {
    replicaId: 0,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, leaderEpoch: 0 }] }],
  },
  'ControllerService/CreateTopics': { topics: [{ name: 'fresh', numPartitions: 1, replicationFactor: 1 }] },
  'ControllerService/DeleteTopics': { names: [DOOMED] },
  'ControllerService/CreatePartitions': { topics: [{ name: TOPIC, count: 2 }] },
  'ControllerService/DescribeCluster': {},
  'ControllerService/DescribeTopics': { names: [TOPIC] },
  'ControllerService/DescribeConfigs': { resources: [{ type: 1, name: TOPIC, configNames: [] }] },
  'ControllerService/AlterConfigs': {
    resources: [{ type: 1, name: TOPIC, configs: [{ name: 'retention.ms', op: 1, value: '3600000' }] }],
  },
  'ControllerService/ElectLeaders': { electionType: 1, topics: [{ topic: TOPIC, partitions: [0] }] },
  'ControllerService/InitProducerId': {},
  'ControllerService/ControlledShutdown': { brokerId: 99 },
  'ControllerService/AlterPartitionReassignments': {
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, replicas: [0] }] }],
  },
  'ControllerService/ListPartitionReassignments': { topics: [] },
  'ControllerService/CreateAcls': {
    acls: [
      {
        principal: 'User:nobody',
        resourceType: 2,
        patternType: 1,
        resourceName: TOPIC,
        operation: 1,
        permission: 1,
      },
    ],
  },
  'ControllerService/DescribeAcls': { filter: {} },
  'ControllerService/DeleteAcls': { filters: [{ principal: 'User:admin-helper' }] },
  'GroupCoordinatorService/FindCoordinator': { groupId: GROUP },
  'GroupCoordinatorService/GroupSession': {
    join: {
      groupId: GROUP,
      clientId: 'security-test',
      topics: [TOPIC],
      assignors: ['range'],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      maxPollIntervalMs: 30_000,
    },
  },
  'GroupCoordinatorService/CommitOffsets': {
    groupId: GROUP,
    memberId: '',
    generationId: -1,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: 1, metadata: '' }] }],
  },
  'GroupCoordinatorService/FetchOffsets': { groupId: GROUP, topics: [{ topic: TOPIC, partitions: [0] }] },
  'GroupCoordinatorService/ListGroups': {},
  'GroupCoordinatorService/DescribeGroups': { groupIds: [GROUP] },
  'GroupCoordinatorService/DeleteGroups': { groupIds: [GROUP] },
  'GroupCoordinatorService/AlterGroupOffsets': {
    groupId: GROUP,
    topic: TOPIC,
    partitions: [0],
    toEarliest: true,
  },
};

const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

describe('every RPC of the contract refuses callers it does not know or allow', () => {
  let cluster: LocalCluster;
  let etcd: EtcdConnection;
  let admin: string;
  const methods = contractMethods();

  const endOffset = async (): Promise<string> => {
    const res = await callOnce(
      cluster,
      'BrokerService',
      'ListOffsets',
      false,
      SAMPLES['BrokerService/ListOffsets']!,
      admin,
    );
    const partition = (res.response as { topics: { partitions: { offset: string; errorCode: number }[] }[] })
      .topics[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(0);
    return partition.offset;
  };

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      brokers: 1,
      controllers: 1,
      coordinators: 1,
      auth: { mode: 'authorize', superUsers: [ADMIN] },
    });
    etcd = await openEtcd(cluster);
    admin = await cluster.token(ADMIN);
    for (const name of [TOPIC, DOOMED]) {
      const created = await callOnce(
        cluster,
        'ControllerService',
        'CreateTopics',
        false,
        {
          topics: [{ name, numPartitions: 1, replicationFactor: 1 }],
        },
        admin,
      );
      expect(created.code).toBe(0);
    }
    await waitFor(
      async () =>
        (await callOnce(cluster, 'BrokerService', 'Produce', false, produceRequest, admin)).response !==
          undefined && (await endOffset()) !== '0',
      {
        timeoutMs: 20_000,
        description: `a record in ${TOPIC}`,
      },
    );
    const committed = await callOnce(
      cluster,
      'GroupCoordinatorService',
      'CommitOffsets',
      false,
      SAMPLES['GroupCoordinatorService/CommitOffsets']!,
      admin,
    );
    expect(committed.code).toBe(0);
  });

  afterAll(async () => {
    etcd?.close();
    await cluster?.stop();
  });

  it('has a sample request for every RPC of the contract', () => {
    const missing = methods.map((m) => `${m.service}/${m.method}`).filter((name) => !(name in SAMPLES));
    expect(missing).toEqual([]);
    expect(methods.length).toBeGreaterThanOrEqual(Object.keys(SAMPLES).length);
  });

  it('answers UNAUTHENTICATED without credentials, with a foreign or expired token, and changes nothing', async () => {
    const before = await etcdSnapshot(etcd);
    const offset = await endOffset();
    const foreign =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJ0cmlidXRhcnkiLCJzdWIiOiJVc2VyOmFkbWluIiwiaWF0IjoxLCJleHAiOjk5OTk5OTk5OTl9.' +
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const expired = await cluster.token(ADMIN, 1);
    await waitFor(
      async () =>
        (await callOnce(cluster, 'BrokerService', 'Metadata', false, {}, expired)).code === UNAUTHENTICATED,
      {
        timeoutMs: 5000,
        description: 'a one-second token to expire',
      },
    );
    const wrong: string[] = [];
    for (const { service, method, streaming } of methods) {
      for (const [label, token] of [
        ['none', undefined],
        ['foreign', foreign],
        ['expired', expired],
      ] as const) {
        const outcome = await callOnce(
          cluster,
          service,
          method,
          streaming,
          SAMPLES[`${service}/${method}`] ?? {},
          token,
        );
        if (outcome.code !== UNAUTHENTICATED || outcome.errorCode !== ErrorCode.AUTHENTICATION_FAILED)
          wrong.push(`${service}/${method} (${label} token): ${outcome.code} ${outcome.details}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await etcdSnapshot(etcd)).toEqual(before);
    expect(await endOffset()).toBe(offset);
  });

  it('answers a principal without ACLs with PERMISSION_DENIED or per-item authorization errors, and changes nothing', async () => {
    const nobody = await cluster.token('User:nobody');
    const before = await etcdSnapshot(etcd);
    const offset = await endOffset();
    const wrong: string[] = [];
    for (const { service, method, streaming } of methods) {
      const name = `${service}/${method}`;
      const outcome = await callOnce(cluster, service, method, streaming, SAMPLES[name] ?? {}, nobody);
      if (name === 'BrokerService/Metadata') {
        // Per item: the topic asked for by name is reported as not authorized, nothing else shows.
        const topics = (outcome.response?.['topics'] ?? []) as {
          name: string;
          errorCode: number;
          partitions: unknown[];
        }[];
        if (
          outcome.code !== 0 ||
          topics.length !== 1 ||
          topics[0]!.errorCode !== ErrorCode.TOPIC_AUTHORIZATION_FAILED ||
          topics[0]!.partitions.length !== 0
        )
          wrong.push(`${name}: ${outcome.code} ${JSON.stringify(outcome.response)}`);
        continue;
      }
      if (name === 'GroupCoordinatorService/ListGroups') {
        if (outcome.code !== 0 || ((outcome.response?.['groups'] ?? []) as unknown[]).length !== 0)
          wrong.push(`${name}: ${outcome.code} ${JSON.stringify(outcome.response)}`);
        continue;
      }
      const authorizationCodes: number[] = [
        ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        ErrorCode.GROUP_AUTHORIZATION_FAILED,
        ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
      ];
      if (outcome.code !== PERMISSION_DENIED || !authorizationCodes.includes(outcome.errorCode ?? -1))
        wrong.push(`${name}: ${outcome.code} ${outcome.details}`);
    }
    expect(wrong).toEqual([]);
    expect(await etcdSnapshot(etcd)).toEqual(before);
    expect(await endOffset()).toBe(offset);
  });

  it('lets a super user through every RPC', async () => {
    const refused: string[] = [];
    for (const { service, method, streaming } of methods) {
      const outcome = await callOnce(
        cluster,
        service,
        method,
        streaming,
        SAMPLES[`${service}/${method}`] ?? {},
        admin,
      );
      if (outcome.code === UNAUTHENTICATED || outcome.code === PERMISSION_DENIED)
        refused.push(`${service}/${method}: ${outcome.code} ${outcome.details}`);
    }
    expect(refused).toEqual([]);
  });
});
