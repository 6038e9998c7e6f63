import { setting } from './config';
import { tlsSettings } from './tls/tls-settings';

/** Settings every Tributary service reads, merged into each service's own declarations. */
export const commonSettings = {
  'cluster.name': setting.string({
    doc: 'Cluster name; every etcd key lives under /tributary/<cluster.name>/.',
    default: 'local',
    validate: (v) => (/^[a-zA-Z0-9._-]+$/.test(v) ? undefined : 'use only [a-zA-Z0-9._-]'),
  }),
  'etcd.endpoints': setting.list({
    doc: 'Comma-separated etcd client URLs.',
    default: ['http://127.0.0.1:2379'],
    validate: (v) => (v.length > 0 ? undefined : 'give at least one endpoint'),
  }),
  host: setting.string({ doc: 'Address the gRPC server binds to.', default: '127.0.0.1' }),
  'advertised.host': setting.string({
    doc: 'Host name other processes use to reach this one (defaults to `host`).',
    default: '',
  }),
  'lease.ttl.seconds': setting.int({
    doc: 'TTL of this process’s etcd lease: how long after a crash its ephemeral keys vanish.',
    default: 5,
    min: 2,
    max: 300,
  }),
  'log.level': setting.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const, {
    doc: 'Least severe log level written.',
    default: 'info',
  }),
  'metrics.port': setting.port({
    doc: 'Port of the Prometheus `/metrics` endpoint (HTTP, bound to `host`); 0 serves no metrics.',
    default: 0,
  }),
  'shutdown.timeout.ms': setting.int({
    doc: 'How long a graceful shutdown may take before the process exits anyway.',
    default: 10_000,
    min: 0,
  }),
  ...tlsSettings,
  'auth.mode': setting.oneOf(['off', 'authenticate', 'authorize'] as const, {
    doc: 'Who may call this service (docs/security.md): `off` anyone; `authenticate` any holder of a valid token or client certificate (others get UNAUTHENTICATED); `authorize` that and the ACLs in etcd (PERMISSION_DENIED).',
    default: 'off',
  }),
  'auth.token.key.file': setting.string({
    doc: 'File holding the HMAC-SHA-256 key (32 bytes or more) that signs bearer tokens: verifies callers’ tokens and signs this service’s own. Required unless `auth.mode` is `off`.',
    default: '',
  }),
  'auth.principal': setting.string({
    doc: 'This service’s own principal on calls to other services (default `User:<service>`, e.g. `User:broker`).',
    default: '',
  }),
  'auth.super.users': setting.list({
    doc: 'Principals allowed everything whatever the ACLs say (comma-separated); must include the services’ own principals.',
    default: ['User:broker', 'User:controller', 'User:group-coordinator'],
  }),
};
