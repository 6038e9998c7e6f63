import { hostname } from 'node:os';
import { loadTributaryPackageDefinition, loadTributaryProto } from '@tributary/proto';
import {
  etcdStep,
  grpcServerSteps,
  handlersWithUnimplemented,
  runService,
  type Step,
} from '@tributary/service-kit';
import { ControllerElection } from './controller-election';
import { controllerSettings } from './settings';

void runService({
  service: 'controller',
  settings: controllerSettings,
  instanceId: (config) => config['controller.id'] || hostname(),
  steps: ({ config, logger }) => {
    const id = config['controller.id'] || hostname();
    const advertisedHost = config['advertised.host'] || config.host;
    const etcd = etcdStep({ endpoints: config['etcd.endpoints'], clusterName: config['cluster.name'] });
    const proto = loadTributaryProto().tributary.v1;
    const grpc = grpcServerSteps({
      host: config.host,
      port: config.port,
      portSetting: 'port',
      services: [
        {
          name: 'tributary.v1.ControllerService',
          definition: proto.ControllerService.service,
          handlers: handlersWithUnimplemented('ControllerService', proto.ControllerService.service),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    let election: ControllerElection | undefined;
    const campaign: Step = {
      name: 'controller-election',
      start() {
        election = new ControllerElection(
          etcd.get().ns,
          { id, host: advertisedHost, port: grpc.get().port },
          config['lease.ttl.seconds'],
          logger.child({ component: 'election' }),
          {
            onElected: (epoch) => logger.info({ epoch }, 'now active controller'),
            onResigned: (reason) => logger.warn({ reason }, 'no longer active controller'),
          },
        );
        election.start();
      },
      stop: () => election?.stop(),
    };
    return [etcd, grpc.listen, campaign, grpc.serving];
  },
});
