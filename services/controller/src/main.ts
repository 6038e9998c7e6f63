import { hostname } from 'node:os';
import { loadTributaryPackageDefinition, loadTributaryProto } from '@tributary/proto';
import { isControllerRegistration, keys, parseRecord } from '@tributary/registry';
import {
  etcdStep,
  grpcServerSteps,
  handlersWithUnimplemented,
  runService,
  type Step,
} from '@tributary/service-kit';
import { ActiveController } from './active-controller';
import { ControllerElection } from './controller-election';
import { type ControllerRole, controllerServiceHandlers } from './controller-service';
import { createControllerMetrics } from './metrics';
import { controllerSettings } from './settings';

void runService({
  service: 'controller',
  settings: controllerSettings,
  instanceId: (config) => config['controller.id'] || hostname(),
  steps: ({ config, logger, telemetry, transport, security }) => {
    const id = config['controller.id'] || hostname();
    const advertisedHost = config['advertised.host'] || config.host;
    const etcd = etcdStep({
      endpoints: config['etcd.endpoints'],
      clusterName: config['cluster.name'],
      interceptors: telemetry.etcdInterceptors,
      tls: transport.etcd,
    });
    const proto = loadTributaryProto().tributary.v1;
    let active: ActiveController | undefined;
    let election: ControllerElection | undefined;
    const role: ControllerRole = {
      clusterId: config['cluster.name'],
      get self() {
        return { id, host: advertisedHost, port: grpc.get().port };
      },
      active: () => active,
      async activeDescription() {
        try {
          const raw = await etcd.get().ns.get(keys.controllerKey()).string();
          if (raw === null) return 'no controller is active (an election is in progress); retry shortly';
          const current = parseRecord(keys.controllerKey(), raw, isControllerRegistration);
          return `the active controller is ${current.id} at ${current.host}:${current.port}`;
        } catch (err) {
          return `the active controller is unknown (${(err as Error).message})`;
        }
      },
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
          name: 'tributary.v1.ControllerService',
          definition: proto.ControllerService.service,
          handlers: handlersWithUnimplemented(
            'ControllerService',
            proto.ControllerService.service,
            controllerServiceHandlers(role, logger.child({ component: 'admin-rpc' })),
          ),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    const metrics = createControllerMetrics(telemetry.registry, {
      epoch: () => (active === undefined ? undefined : active.epoch),
      *partitions() {
        if (active === undefined) return;
        const live = active.view.brokers();
        for (const [, partitions] of active.view.allPartitions())
          for (const [, p] of partitions)
            yield {
              leader: p.value.leader,
              leaderLive: live.has(p.value.leader),
              reassigning: p.value.reassignment !== undefined,
            };
      },
    });
    const resign = (reason: string) => void election?.resign(reason);
    const campaign: Step = {
      name: 'controller-election',
      start() {
        election = new ControllerElection(
          etcd.get().ns,
          { id, host: advertisedHost, port: grpc.get().port },
          config['lease.ttl.seconds'],
          logger.child({ component: 'election' }),
          {
            onElected: async (epoch) => {
              logger.info({ epoch }, 'now active controller');
              const controller = new ActiveController(
                etcd.get().ns,
                epoch,
                logger.child({ component: 'controller', epoch }),
                {
                  autoPreferredElection: config['auto.leader.rebalance.enable'],
                  leaderCheckIntervalMs: config['leader.check.interval.ms'],
                  deletionTimeoutMs: config['topic.deletion.timeout.ms'],
                  defaultPartitions: config['num.partitions'],
                  defaultReplicationFactor: config['default.replication.factor'],
                  producerIdBlockSize: config['producer.id.block.size'],
                  onFenced: resign,
                  onLeadersElected: (n) => metrics.leaderElections.inc(n),
                },
              );
              active = controller;
              try {
                await controller.start();
              } catch (err) {
                if (active !== controller) return;
                logger.error({ err }, 'could not load cluster metadata; resigning');
                resign(`start-up failed: ${(err as Error).message}`);
              }
            },
            onResigned: (reason) => {
              logger.warn({ reason }, 'no longer active controller');
              const stopping = active;
              active = undefined;
              void stopping?.stop();
            },
          },
        );
        election.start();
      },
      async stop() {
        const stopping = active;
        active = undefined;
        await stopping?.stop();
        await election?.stop();
      },
    };
    return [etcd, security.aclStep(() => etcd.get()), grpc.listen, campaign, grpc.serving];
  },
});
