import { hostname } from 'node:os';
import { loadTributaryPackageDefinition, loadTributaryProto } from '@tributary/proto';
import { type BrokerRegistration, keys } from '@tributary/registry';
import {
  etcdStep,
  grpcServerSteps,
  handlersWithUnimplemented,
  registrationStep,
  runService,
} from '@tributary/service-kit';
import { ClusterMetadata, REPLICAS_CAUGHT_UP, ReplicaAssignmentFollower, ReplicaReadiness } from './cluster';
import { controlledShutdown } from './cluster/controlled-shutdown';
import { fetchObserver } from './fetch/fetch-telemetry';
import { brokerDataPlaneHandlers, type DataPlaneDeps } from './handlers/broker-service';
import { metadataHandler } from './handlers/metadata';
import { replicationHandlers } from './handlers/replication-service';
import {
  ClusterClients,
  groupBroker,
  KafkaGroupMembership,
  KafkaListener,
  kafkaSettings,
  parseHostPort,
  servedApis,
} from './kafka';
import { type BrokerMetrics, createBrokerMetrics } from './metrics';
import { produceObserver } from './produce/produce-telemetry';
import { ReplicaManager } from './replica/replica-manager';
import { dataPlaneConfig, dataPlaneSettings } from './replica/settings';
import { FollowerFetcherManager } from './replication/follower-fetchers';
import { brokerSettings, resolveBrokerId } from './settings';
import { DataDirOwner, LogManager } from './storage';

void runService({
  service: 'broker',
  settings: { ...brokerSettings, ...dataPlaneSettings, ...kafkaSettings },
  instanceId: (config) => String(resolveBrokerId(config['broker.id'], hostname())),
  steps: ({ config, logger, shutdown, telemetry, transport, security }) => {
    const brokerId = resolveBrokerId(config['broker.id'], hostname());
    const etcd = etcdStep({
      endpoints: config['etcd.endpoints'],
      clusterName: config['cluster.name'],
      interceptors: telemetry.etcdInterceptors,
      tls: transport.etcd,
    });
    const proto = loadTributaryProto().tributary.v1;
    // Cluster metadata (issue 5): the etcd-fed cache behind Metadata, leader hints and follower
    // addresses; its ReplicaAssignmentFollower drives the replica manager.
    const metadata = new ClusterMetadata(
      () => etcd.get().ns,
      (err) => logger.warn({ err: err.message }, 'metadata watch error'),
    );
    let follower: ReplicaAssignmentFollower | undefined;
    // Data plane (issue 6): logs, replicas, followers' fetchers.
    const logs = new LogManager({
      dataDir: config['data.dir'],
      retentionCheckIntervalMs: config['log.retention.check.interval.ms'],
      onBackgroundError: (err) => logger.warn({ err: String(err) }, 'storage background error'),
    });
    const metadataView = {
      leaderOf: (topic: string, partition: number) => metadata.leaderOf(topic, partition),
      partitionExists: (topic: string, partition: number) => metadata.partitionExists(topic, partition),
    };
    let metrics: BrokerMetrics | undefined;
    const replicas = new ReplicaManager({
      brokerId,
      logs,
      ns: () => etcd.get().ns,
      config: dataPlaneConfig(config),
      logger,
      metadata: metadataView,
      onIsrChange: (change) => (change === 'shrink' ? metrics?.isrShrinks : metrics?.isrExpands)?.inc(),
    });
    metrics = createBrokerMetrics(telemetry.registry, replicas, config['data.dir']);
    const fetchers = new FollowerFetcherManager(
      brokerId,
      (id) => metadata.addressOf(id),
      replicas.config,
      logger,
      transport.links,
    );
    replicas.setFetchers(fetchers);
    // One data plane behind both front doors (gRPC and the Kafka listener): the same logs,
    // metrics and spans whichever protocol a record came by.
    const dataPlane: DataPlaneDeps = {
      replicas,
      metadata: metadataView,
      metrics,
      produceObserver: produceObserver(metrics, telemetry.tracer, telemetry.tracingEnabled),
      fetchObserver: fetchObserver(metrics, telemetry.tracer, telemetry.tracingEnabled),
    };
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
          name: 'tributary.v1.BrokerService',
          definition: proto.BrokerService.service,
          handlers: handlersWithUnimplemented('BrokerService', proto.BrokerService.service, {
            ...brokerDataPlaneHandlers(dataPlane),
            Metadata: metadataHandler(metadata, config['cluster.name']),
          }),
        },
        {
          name: 'tributary.v1.ReplicationService',
          definition: proto.ReplicationService.service,
          handlers: handlersWithUnimplemented(
            'ReplicationService',
            proto.ReplicationService.service,
            replicationHandlers(replicas),
          ),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      // The Kubernetes readiness probe asks for this one: SERVING once every replica is in sync.
      conditions: [REPLICAS_CAUGHT_UP],
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    // Kafka wire protocol (issue 21): a second front door onto the same logs, metadata and groups.
    let kafkaPort = 0;
    let kafka: KafkaListener | undefined;
    const clusterClients = new ClusterClients(() => metadata.view, transport.links);
    const kafkaGroups = new KafkaGroupMembership(
      clusterClients,
      (groupId) => groupBroker(metadata, groupId)?.nodeId === brokerId,
    );
    const kafkaListen = config['kafka.listener'] === '' ? undefined : parseHostPort(config['kafka.listener']);
    const kafkaAdvertised = () => {
      if (kafkaListen === undefined) return undefined;
      if (config['kafka.advertised.listener'] !== '')
        return parseHostPort(config['kafka.advertised.listener']);
      return { host: config['advertised.host'] || kafkaListen.host, port: kafkaPort };
    };
    const kafkaStep = {
      name: 'kafka-listener',
      async start() {
        if (kafkaListen === undefined) return;
        if (config['kafka.listener.tls'] && transport.serverTls === undefined)
          throw new Error(
            'kafka.listener.tls needs the broker’s TLS files: set tls.cert.file and tls.key.file',
          );
        // With auth on, Kafka clients authenticate (SASL or a client certificate) and are
        // authorized here, by the gRPC table: what the listener then proxies to the controller
        // and coordinators goes as the broker's own principal.
        const kafkaLogger = logger.child({ component: 'kafka-listener' });
        const verifyToken = security.verifyToken;
        const authorizer = security.authorizer;
        kafka = new KafkaListener({
          ...(config['kafka.listener.tls'] && transport.serverTls ? { tls: transport.serverTls } : {}),
          ...(verifyToken === undefined ? {} : { authentication: { verifyToken } }),
          host: kafkaListen.host,
          port: kafkaListen.port,
          maxFrameBytes: config['kafka.request.max.bytes'],
          logger: kafkaLogger,
          observer: {
            responded(api, seconds, bytes) {
              metrics?.kafkaRequestDuration.observe({ api }, seconds);
              metrics?.kafkaResponseBytes.inc({ api }, bytes);
            },
          },
          served: servedApis({
            ...(verifyToken === undefined ? {} : { sasl: { logger: kafkaLogger } }),
            ...(security.mode === 'authorize' ? { authorizer: () => authorizer()! } : {}),
            dataPlane,
            metadata,
            clusterId: config['cluster.name'],
            clients: clusterClients,
            groups: kafkaGroups,
            brokerId,
          }),
        });
        kafkaPort = await kafka.start();
        logger.info({ host: kafkaListen.host, port: kafkaPort }, 'kafka listener listening');
      },
      async stop() {
        await kafka?.stop();
        kafkaGroups.close();
        clusterClients.close();
      },
    };
    const startedAt = Date.now();
    // Set by the storage step: this process owns the data directory (data-dir-owner.ts).
    let owner: DataDirOwner | undefined;
    const registration = registrationStep({
      name: 'broker-registration',
      etcd: etcd.get,
      key: keys.brokerKey(brokerId),
      value: (): BrokerRegistration => ({
        version: 1,
        id: brokerId,
        host: config['advertised.host'] || config.host,
        port: config['advertised.port'] || grpc.get().port,
        rack: config.rack || null,
        startedAt,
        ...(kafkaListen === undefined ? {} : { kafka: kafkaAdvertised() }),
      }),
      ttlSeconds: config['lease.ttl.seconds'],
      logger,
      inUseMessage: (current) =>
        `broker id ${brokerId} is already registered by a live broker (${current}); each broker needs its own broker.id`,
      onDuplicate: (reason) => shutdown(reason, 1),
      // After kill -9 the former run's key lives on for up to a TTL; this data directory proves
      // that run dead, so its lease is revoked instead of waited out (docs/operations.md).
      deadPredecessorLeaseId: () => owner?.deadPredecessorLeaseId,
      onRegistered: (leaseId) => owner?.recordLease(leaseId),
    });
    const storage = {
      name: 'storage',
      async start() {
        // Before any log is opened: a second process on this directory must not recover it.
        owner = DataDirOwner.claim(config['data.dir']);
        if (owner.predecessor.kind !== 'none')
          logger.info(
            { pid: owner.predecessor.record.pid, predecessor: owner.predecessor.kind },
            'data directory was owned by a former run',
          );
        const report = await logs.start();
        logger.info(LogManager.summarize(report), 'logs opened');
      },
      async stop() {
        const closed = await logs.stop();
        logger.info({ ...closed, ms: Math.round(closed.ms) }, 'logs closed');
        owner?.release();
      },
    };
    const clusterMetadata = {
      name: 'cluster-metadata',
      start: () => metadata.start(),
      stop: () => metadata.close(),
    };
    const replication = {
      name: 'replication',
      async start() {
        replicas.start();
        follower = new ReplicaAssignmentFollower({
          brokerId,
          metadata,
          replicas,
          localLogs: logs,
          ns: () => etcd.get().ns,
          logger: logger.child({ component: 'replica-follower' }),
        });
        await follower.start();
      },
      async stop() {
        await follower?.stop();
        fetchers.close();
        replicas.stop();
      },
    };
    const readiness = new ReplicaReadiness(brokerId, metadata, (caughtUp, lagging) => {
      grpc.get().setCondition(REPLICAS_CAUGHT_UP, caughtUp);
      logger.info(
        { caughtUp, lagging: lagging.length, first: lagging.slice(0, 5) },
        caughtUp ? 'every replica is in sync' : 'replicas catching up',
      );
    });
    const replicaReadiness = {
      name: 'replica-readiness',
      start: () => readiness.start(),
      stop: () => readiness.stop(),
    };
    // Last to start, first to stop: leadership moves while this broker still serves (issue 12).
    const controlledShutdownStep = {
      name: 'controlled-shutdown',
      start() {},
      stop: () =>
        config['controlled.shutdown.enable']
          ? controlledShutdown({
              brokerId,
              controllerAddress: () => {
                const c = metadata.view.controller()?.value;
                return c ? `${c.host}:${c.port}` : undefined;
              },
              ledPartitions: () =>
                replicas
                  .all()
                  .filter((p) => p.isLeader)
                  .map((p) => ({ topic: p.topic, partition: p.partition })),
              timeoutMs: Math.min(
                config['controlled.shutdown.timeout.ms'],
                config['shutdown.timeout.ms'] / 2,
              ),
              logger,
              credentials: transport.links,
            })
          : undefined,
    };
    return [
      etcd,
      security.aclStep(() => etcd.get()),
      storage,
      clusterMetadata,
      grpc.listen,
      kafkaStep,
      registration,
      replication,
      replicaReadiness,
      grpc.serving,
      controlledShutdownStep,
    ];
  },
});
