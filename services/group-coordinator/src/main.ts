import { hostname } from 'node:os';
import { loadTributaryPackageDefinition, loadTributaryProto } from '@tributary/proto';
import { type CoordinatorRegistration, keys } from '@tributary/registry';
import {
  etcdStep,
  grpcServerSteps,
  handlersWithUnimplemented,
  registrationStep,
  runService,
} from '@tributary/service-kit';
import { coordinatorSettings } from './settings';

void runService({
  service: 'group-coordinator',
  settings: coordinatorSettings,
  instanceId: (config) => config['coordinator.id'] || hostname(),
  steps: ({ config, logger, shutdown }) => {
    const id = config['coordinator.id'] || hostname();
    const etcd = etcdStep({ endpoints: config['etcd.endpoints'], clusterName: config['cluster.name'] });
    const proto = loadTributaryProto().tributary.v1;
    const grpc = grpcServerSteps({
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
          ),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    const startedAt = Date.now();
    const registration = registrationStep({
      name: 'coordinator-registration',
      etcd: etcd.get,
      key: keys.coordinatorKey(id),
      value: (): CoordinatorRegistration => ({
        version: 1,
        id,
        host: config['advertised.host'] || config.host,
        port: grpc.get().port,
        startedAt,
      }),
      ttlSeconds: config['lease.ttl.seconds'],
      logger,
      inUseMessage: (current) =>
        `coordinator id ${id} is already registered by a live coordinator (${current})`,
      onDuplicate: (reason) => shutdown(reason, 1),
    });
    return [etcd, grpc.listen, registration, grpc.serving];
  },
});
