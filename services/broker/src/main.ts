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
import { brokerSettings, resolveBrokerId } from './settings';

void runService({
  service: 'broker',
  settings: brokerSettings,
  instanceId: (config) => String(resolveBrokerId(config['broker.id'], hostname())),
  steps: ({ config, logger, shutdown }) => {
    const brokerId = resolveBrokerId(config['broker.id'], hostname());
    const etcd = etcdStep({ endpoints: config['etcd.endpoints'], clusterName: config['cluster.name'] });
    const proto = loadTributaryProto().tributary.v1;
    const grpc = grpcServerSteps({
      host: config.host,
      port: config.port,
      portSetting: 'port',
      services: [
        {
          name: 'tributary.v1.BrokerService',
          definition: proto.BrokerService.service,
          handlers: handlersWithUnimplemented('BrokerService', proto.BrokerService.service),
        },
        {
          name: 'tributary.v1.ReplicationService',
          definition: proto.ReplicationService.service,
          handlers: handlersWithUnimplemented('ReplicationService', proto.ReplicationService.service),
        },
      ],
      reflection: loadTributaryPackageDefinition(),
      logger,
      drainMs: config['shutdown.timeout.ms'] / 2,
    });
    const startedAt = Date.now();
    const registration = registrationStep({
      name: 'broker-registration',
      etcd: etcd.get,
      key: keys.brokerKey(brokerId),
      value: (): BrokerRegistration => ({
        version: 1,
        id: brokerId,
        host: config['advertised.host'] || config.host,
        port: grpc.get().port,
        rack: config.rack || null,
        startedAt,
      }),
      ttlSeconds: config['lease.ttl.seconds'],
      logger,
      inUseMessage: (current) =>
        `broker id ${brokerId} is already registered by a live broker (${current}); each broker needs its own broker.id`,
      onDuplicate: (reason) => shutdown(reason, 1),
    });
    return [etcd, grpc.listen, registration, grpc.serving];
  },
});
