import { hostname } from 'node:os';
import { TributaryError } from '@tributary/errors';
import {
  type GroupCoordinatorServiceHandlers,
  loadTributaryPackageDefinition,
  loadTributaryProto,
} from '@tributary/proto';
import { type CoordinatorRegistration, keys, MetadataView } from '@tributary/registry';
import {
  etcdStep,
  grpcServerSteps,
  handlersWithUnimplemented,
  registrationStep,
  runService,
  type Step,
} from '@tributary/service-kit';
import { BrokerPartitionOffsets } from './broker-offsets';
import { systemClock } from './clock';
import { GroupManager } from './group-manager';
import { alterGroupOffsets, deleteGroups, describeGroups, listGroups } from './handlers/admin';
import { findCoordinator } from './handlers/find-coordinator';
import { groupSessionHandler } from './handlers/group-session';
import { commitOffsets, fetchOffsets, unary } from './handlers/offsets';
import { wireCode } from './handlers/validate';
import { createCoordinatorMetrics } from './metrics';
import { coordinatorSettings } from './settings';
import { parseTp } from './topic-partition';

void runService({
  service: 'group-coordinator',
  settings: coordinatorSettings,
  instanceId: (config) => config['coordinator.id'] || hostname(),
  steps: ({ config, logger, shutdown, telemetry, transport, security }) => {
    const id = config['coordinator.id'] || hostname();
    const self = { id, host: config['advertised.host'] || config.host, port: 0 };
    const clock = systemClock;
    const etcd = etcdStep({
      endpoints: config['etcd.endpoints'],
      clusterName: config['cluster.name'],
      interceptors: telemetry.etcdInterceptors,
      tls: transport.etcd,
    });
    const ns = () => etcd.get().ns;

    // Requests can arrive between `listen` and `serving`: they get a retriable error.
    const starting = () => new TributaryError('COORDINATOR_NOT_AVAILABLE', 'The coordinator is starting');
    let metadata: MetadataView | undefined;
    const view = () => {
      if (!metadata) throw starting();
      return metadata;
    };
    let manager: GroupManager | undefined;
    const groups = () => {
      if (!manager) throw starting();
      return manager;
    };
    let brokerOffsets: BrokerPartitionOffsets | undefined;
    const metrics = createCoordinatorMetrics(telemetry.registry, {
      groups: () =>
        (manager?.groups() ?? []).map((g) => ({
          id: g.id,
          state: g.group.state,
          rebalances: g.group.rebalances,
          commitCalls: g.commits.commits,
          commitWrites: g.commits.windows,
          committed: [...g.offsets].map(([tp, record]) => {
            const { topic, partition } = parseTp(tp);
            return [topic, partition, record.offset] as const;
          }),
        })),
      async highWatermarks(partitions) {
        const answers = await (brokerOffsets?.list({ spec: 'latest' }, partitions) ?? new Map());
        const out = new Map<string, number>();
        for (const [tp, a] of answers) if (a.errorCode === 0) out.set(tp, a.offset);
        return out;
      },
    });

    // One lease carries the registration and every key written for the groups (claims,
    // members), so a dead coordinator's registration and claims vanish in one etcd revision and
    // another coordinator can claim its groups at once; when it is lost, the groups are dropped
    // before the registration is made again on a new lease.
    const lease = registrationStep({
      name: 'coordinator-registration',
      etcd: etcd.get,
      key: keys.coordinatorKey(id),
      value: (): CoordinatorRegistration => ({ version: 1, id, host: self.host, port: self.port, startedAt }),
      ttlSeconds: config['lease.ttl.seconds'],
      logger: logger.child({ component: 'lease' }),
      inUseMessage: (current) =>
        `coordinator id ${id} is already registered by a live coordinator (${current})`,
      onLost: () => manager?.dropAll('coordinator lease lost'),
      onDuplicate: (reason) => shutdown(reason, 1),
    });
    const startedAt = Date.now();

    const metadataStep: Step = {
      name: 'metadata-view',
      async start() {
        metadata = new MetadataView(ns(), {
          sections: ['brokers', 'coordinators', 'topics', 'partitions'],
          onError: (err) => logger.warn({ err: err.message }, 'metadata view'),
        });
        metadata.onChange((change) => {
          if (change.section !== 'topics') return;
          const count = (v: typeof change.value) => (v && !v.value.deleting ? v.value.replicas.length : 0);
          if (count(change.value) !== count(change.previous)) manager?.topicChanged(change.topic);
        });
        await metadata.start();
      },
      stop: () => metadata?.close(),
    };

    const groupsStep: Step = {
      name: 'groups',
      start() {
        brokerOffsets = new BrokerPartitionOffsets(
          view(),
          config['broker.request.timeout.ms'],
          transport.links,
        );
        manager = new GroupManager({
          ns,
          self,
          leaseId: () => lease.current()?.leaseId,
          metadata: view(),
          clock,
          settings: {
            initialRebalanceDelayMs: config['group.initial.rebalance.delay.ms'],
            commitWindowMs: config['offsets.commit.window.ms'],
            commitMaxInFlight: config['offsets.commit.max.in.flight'],
            maxTxnOps: config['etcd.max.txn.ops'],
          },
          logger: logger.child({ component: 'groups' }),
          observeCommitWrite: (seconds) => metrics.commitWriteDuration.observe(seconds),
        });
      },
      async stop() {
        // Write pending commits, release the lease (registration and every group claim go in one
        // etcd revision), then send members NOT_COORDINATOR so they find the new owner at once.
        await manager?.beginShutdown();
        await lease.stop();
        manager?.dropAll('coordinator shutting down');
        brokerOffsets?.close();
      },
    };

    const adminDeps = () => ({
      ns,
      manager: groups(),
      offsets: brokerOffsets!,
      clock,
      coordinatorId: id,
    });
    const offsetDeps = () => ({
      manager: groups(),
      clock,
      metadataMaxBytes: config['offsets.metadata.max.bytes'],
    });
    let sessionHandler: GroupCoordinatorServiceHandlers['GroupSession'] | undefined;
    const handlers: GroupCoordinatorServiceHandlers = {
      FindCoordinator: unary((request) =>
        findCoordinator({ ns, manager: groups(), metadata: view(), self }, request),
      ),
      GroupSession: (call) => {
        if (!manager) {
          const error = starting();
          call.write({ error: { errorCode: wireCode(error.code), errorMessage: error.message } });
          call.end();
          return;
        }
        sessionHandler ??= groupSessionHandler({
          manager: groups(),
          offsets: offsetDeps(),
          settings: {
            minSessionTimeoutMs: config['group.min.session.timeout.ms'],
            maxSessionTimeoutMs: config['group.max.session.timeout.ms'],
            sessionTimeoutMs: config['group.session.timeout.ms'],
            rebalanceTimeoutMs: config['group.rebalance.timeout.ms'],
            maxPollIntervalMs: config['group.max.poll.interval.ms'],
          },
          logger: logger.child({ component: 'session' }),
          tracer: telemetry.tracer,
        });
        sessionHandler(call);
      },
      CommitOffsets: unary((request) => commitOffsets(offsetDeps(), request)),
      FetchOffsets: unary((request) => fetchOffsets(offsetDeps(), request)),
      ListGroups: unary((request) => listGroups(adminDeps(), request)),
      DescribeGroups: unary((request) => describeGroups(adminDeps(), request)),
      DeleteGroups: unary((request) => deleteGroups(adminDeps(), request)),
      AlterGroupOffsets: unary((request) => alterGroupOffsets(adminDeps(), request)),
    };

    const proto = loadTributaryProto().tributary.v1;
    const grpc = grpcServerSteps({
      telemetry: telemetry.server,
      credentials: transport.server,
      healthPort: transport.healthPort,
      security,
      host: config.host,
      port: config.port,
      portSetting: 'port',
      services: [
        {
          name: 'tributary.v1.GroupCoordinatorService',
          definition: proto.GroupCoordinatorService.service,
          handlers: handlersWithUnimplemented(
            'GroupCoordinatorService',
            proto.GroupCoordinatorService.service,
            handlers,
          ),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    const boundPort: Step = {
      name: 'bound-port',
      start() {
        self.port = grpc.get().port;
      },
    };
    return [
      etcd,
      security.aclStep(() => etcd.get()),
      metadataStep,
      grpc.listen,
      boundPort,
      lease,
      groupsStep,
      grpc.serving,
    ];
  },
});
