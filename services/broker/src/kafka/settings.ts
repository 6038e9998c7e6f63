import { setting } from '@tributary/service-kit';

const hostPort = (v: string) =>
  v === '' || /^[^\s:]+:\d{1,5}$/.test(v) ? undefined : `"${v}" is not host:port (or empty)`;

/** Settings of the Kafka wire-protocol listener (docs/kafka-compatibility.md). */
export const kafkaSettings = {
  'kafka.listener': setting.string({
    doc: 'host:port of the Kafka wire-protocol listener (port 0 = any free port); empty = no Kafka listener.',
    default: '',
    validate: hostPort,
  }),
  'kafka.advertised.listener': setting.string({
    doc: 'host:port Kafka clients are told to connect to (Metadata, FindCoordinator); empty = the listener’s host and bound port.',
    default: '',
    validate: hostPort,
  }),
  'kafka.listener.tls': setting.boolean({
    doc: 'Serve the Kafka listener over TLS (Kafka’s SSL listener) with the broker’s `tls.*` files and `tls.client.auth`, re-read like the gRPC listener’s.',
    default: false,
  }),
  'kafka.request.max.bytes': setting.int({
    doc: 'Largest Kafka request frame accepted (Kafka’s socket.request.max.bytes); a larger one closes the connection.',
    default: 100 * 1024 * 1024,
    min: 1024,
  }),
};

/** Splits `host:port`. */
export function parseHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at), port: Number(value.slice(at + 1)) };
}
