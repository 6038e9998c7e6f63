import * as grpc from '@grpc/grpc-js';
import { InvalidConfigError } from '@tributary/errors';
import { type ClientTlsOptions, createChannelCredentials } from '@tributary/proto';
import { type ConfigOf, setting } from '../config';
import type { Logger } from '../logger';
import { type ClientAuth, createServerCredentials, type ServerTlsOptions } from './server-credentials';

/**
 * Transport security settings every service reads (part of `commonSettings`). One certificate
 * and key per process serve both ways: on its gRPC listener, and as its client certificate on
 * its links to other services (replication, controller, coordinator), so certificates need both
 * the serverAuth and clientAuth extended key usages when mutual TLS is on.
 */
export const tlsSettings = {
  'tls.cert.file': setting.string({
    doc: 'PEM certificate (chain) of this process: served on its gRPC listener, presented on its links to other services. Empty: plaintext everywhere.',
    default: '',
  }),
  'tls.key.file': setting.string({ doc: 'PEM private key of `tls.cert.file`.', default: '' }),
  'tls.ca.file': setting.string({
    doc: 'PEM CA bundle that verifies the services this one calls and, with `tls.client.auth`, its clients. Empty: Node’s public roots.',
    default: '',
  }),
  'tls.client.auth': setting.oneOf(['none', 'requested', 'required'] as const, {
    doc: 'Whether the gRPC listener asks clients for a certificate: `required` is mutual TLS; `requested` verifies one if sent.',
    default: 'none',
  }),
  'tls.server.name': setting.string({
    doc: 'Name the certificates of the services this one calls must carry, checked instead of the host dialed (for services advertised by pod IP). Empty: the host dialed.',
    default: '',
  }),
  'health.port': setting.int({
    doc: 'A second, plaintext port serving only grpc.health.v1 (no data, no credentials), for Kubernetes gRPC probes, which cannot speak TLS; 0 = none.',
    default: 0,
    min: 0,
    max: 65535,
  }),
  'tls.reload.interval.ms': setting.int({
    doc: 'How often the TLS files are read again; a changed, valid certificate serves new connections without a restart.',
    default: 1000,
    min: 100,
  }),
  'etcd.tls.ca.file': setting.string({
    doc: 'PEM CA bundle that verifies etcd (with `https://` endpoints). Empty: Node’s public roots.',
    default: '',
  }),
  'etcd.tls.cert.file': setting.string({
    doc: 'PEM client certificate for etcd’s `--client-cert-auth`, re-read like the other TLS files.',
    default: '',
  }),
  'etcd.tls.key.file': setting.string({ doc: 'PEM private key of `etcd.tls.cert.file`.', default: '' }),
};

type TlsConfig = ConfigOf<typeof tlsSettings>;

/** What a service's steps use to secure its transport. */
export interface ServiceTransport {
  /** True when `tls.cert.file` is set. */
  readonly tls: boolean;
  /** For the gRPC listener (`grpcServerSteps({ credentials })`). */
  readonly server: grpc.ServerCredentials;
  /** For every client this service makes to another service (`createClient(…, { credentials })`). */
  readonly links: grpc.ChannelCredentials;
  /** For `etcdStep({ tls })`; used with `https://` endpoints, files re-read like the others. */
  readonly etcd: ClientTlsOptions;
  /** The listener's files and client auth, for another listener of this process (`watchServerTls`). */
  readonly serverTls?: ServerTlsOptions;
  /** `health.port`: a plaintext health-only listener beside a TLS one (0 = none). */
  readonly healthPort: number;
}

const optional = (path: string) => (path === '' ? undefined : path);

/**
 * Builds the service's transport from its TLS settings: plaintext when `tls.cert.file` is empty,
 * otherwise TLS on the listener and on every link, each following its files. Throws
 * InvalidConfigError naming the setting when files do not fit together or cannot be read.
 */
export function transportFromConfig(config: TlsConfig, logger: Logger): ServiceTransport {
  const certFile = optional(config['tls.cert.file']);
  const keyFile = optional(config['tls.key.file']);
  const caFile = optional(config['tls.ca.file']);
  const etcd: ClientTlsOptions = {
    ...(optional(config['etcd.tls.ca.file']) ? { caFile: config['etcd.tls.ca.file'] } : {}),
    ...(optional(config['etcd.tls.cert.file']) ? { certFile: config['etcd.tls.cert.file'] } : {}),
    ...(optional(config['etcd.tls.key.file']) ? { keyFile: config['etcd.tls.key.file'] } : {}),
    reloadIntervalMs: config['tls.reload.interval.ms'],
    onReload: (event) => {
      if (event.error !== undefined)
        logger.warn(
          { err: event.error },
          'etcd TLS files changed but are not usable; keeping the previous ones',
        );
      else logger.info({ changed: event.changed }, 'etcd TLS files reloaded');
    },
  };
  if ((etcd.certFile === undefined) !== (etcd.keyFile === undefined))
    throw new InvalidConfigError('etcd.tls.cert.file / etcd.tls.key.file', 'give both or neither');
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new InvalidConfigError('tls.cert.file / tls.key.file', 'give both or neither');
  const clientAuth = config['tls.client.auth'] as ClientAuth;
  if (certFile === undefined || keyFile === undefined) {
    if (clientAuth !== 'none')
      throw new InvalidConfigError('tls.client.auth', 'needs TLS: set tls.cert.file and tls.key.file');
    return {
      tls: false,
      server: grpc.ServerCredentials.createInsecure(),
      links: grpc.credentials.createInsecure(),
      etcd,
      healthPort: config['health.port'],
    };
  }
  if (clientAuth !== 'none' && caFile === undefined)
    throw new InvalidConfigError('tls.ca.file', `is required with tls.client.auth ${clientAuth}`);
  const onReload = (event: { changed: string[]; error?: string }) => {
    if (event.error !== undefined)
      logger.warn({ err: event.error }, 'TLS files changed but are not usable; keeping the previous ones');
    else logger.info({ changed: event.changed }, 'TLS files reloaded');
  };
  const files = { certFile, keyFile, ...(caFile ? { caFile } : {}) };
  const reloadIntervalMs = config['tls.reload.interval.ms'];
  try {
    return {
      tls: true,
      // Listener and links each poll the files; one logs, so a rotation is logged once.
      server: createServerCredentials({ ...files, clientAuth, reloadIntervalMs, onReload }),
      links: createChannelCredentials({
        ...files,
        reloadIntervalMs,
        ...(optional(config['tls.server.name']) ? { serverName: config['tls.server.name'] } : {}),
      }),
      etcd,
      serverTls: { ...files, clientAuth, reloadIntervalMs },
      healthPort: config['health.port'],
    };
  } catch (err) {
    throw new InvalidConfigError('tls.cert.file / tls.key.file / tls.ca.file', (err as Error).message);
  }
}
