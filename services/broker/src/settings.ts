import { setting } from '@tributary/service-kit';

/** The broker's own settings (the common ones are added by the service kit). */
export const brokerSettings = {
  'broker.id': setting.int({
    doc: 'Unique broker id. -1 derives it from the host name’s trailing ordinal (a StatefulSet pod `tributary-broker-2` is broker 2).',
    default: -1,
    min: -1,
  }),
  port: setting.port({ doc: 'gRPC port of the BrokerService and ReplicationService.', default: 9092 }),
  'advertised.port': setting.int({
    doc: 'Port other processes and clients use to reach this broker (0: the bound `port`); differs behind a NodePort or a port mapping.',
    default: 0,
    min: 0,
    max: 65535,
  }),
  'data.dir': setting.string({ doc: 'Directory holding this broker’s partition logs.', default: './data' }),
  'controlled.shutdown.enable': setting.boolean({
    doc: 'On SIGTERM, first ask the controller to move leadership of this broker’s partitions to other in-sync replicas, then stop.',
    default: true,
  }),
  'controlled.shutdown.timeout.ms': setting.int({
    doc: 'How long a controlled shutdown may wait for the controller and for leadership to move before the broker stops anyway (part of `shutdown.timeout.ms`).',
    default: 5000,
    min: 0,
  }),
  rack: setting.string({
    doc: 'Rack or zone of this broker, used to spread replicas (empty: none).',
    default: '',
  }),
  'log.retention.check.interval.ms': setting.int({
    doc: 'How often retention looks for closed segments to delete (Kafka’s log.retention.check.interval.ms).',
    default: 300_000,
    min: 1,
  }),
};

/** The broker id: the configured one, or the ordinal at the end of a StatefulSet pod's host name. */
export function resolveBrokerId(configured: number, host: string): number {
  if (configured >= 0) return configured;
  const ordinal = /-(\d+)$/.exec(host);
  if (!ordinal) {
    throw new Error(
      `broker.id is not set and host name "${host}" ends in no ordinal: set --broker.id or TRIBUTARY_BROKER_ID`,
    );
  }
  return Number(ordinal[1]);
}
