import { readFileSync } from 'node:fs';
import type { ChannelCredentials, Interceptor } from '@grpc/grpc-js';
import { Etcd3, type IOptions, type Namespace } from 'etcd3';
import { clusterNamespace } from './keys';

export interface EtcdConnectionOptions {
  /** etcd client URLs, e.g. `['http://127.0.0.1:2379']`. */
  endpoints: readonly string[];
  /** Cluster name: every key lives under `/tributary/<cluster>/`. */
  clusterName: string;
  /** How long the first request may wait for etcd before start-up fails. */
  connectTimeoutMs?: number;
  /** grpc-js client interceptors for every etcd call (the service kit's metrics). */
  interceptors?: readonly Interceptor[];
  /**
   * PEM files for `https://` endpoints: the CA that verifies etcd (absent: Node's public roots)
   * and a client certificate for etcd's `--client-cert-auth`, read once at connect. Services pass
   * `credentials` instead, which follow their files.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /**
   * Channel credentials for `https://` endpoints that re-read their files (@tributary/proto's
   * `createChannelCredentials`): each new connection to etcd uses the current CA and client
   * certificate, so a rotated etcd client certificate needs no restart. Wins over `tls`.
   */
  credentials?: ChannelCredentials;
}

/** One etcd client and the namespace every Tributary key is built inside. */
export interface EtcdConnection {
  readonly client: Etcd3;
  /** The cluster namespace; keys from `keys.ts` are relative to it. */
  readonly ns: Namespace;
  close(): void;
}

/**
 * HTTP/2 keepalive pings on every etcd connection while it carries a call (a watch, a lease's
 * keep-alive stream, a request). Without them a connection whose path went dead silently (a cut
 * link, a blackhole route: no RST, no FIN) keeps its calls waiting until TCP gives up, many
 * minutes, and a request sent on it after the path heals waits for TCP's backed-off
 * retransmission: a service that lost its lease could not register again. With them grpc-js
 * closes such a connection within time + timeout and etcd3 retries on a new one. 10 s is above
 * etcd's `--grpc-keepalive-min-time` (5 s), below which etcd answers pings with GOAWAY; Kubernetes'
 * apiserver pings etcd every 30 s with a 10 s timeout. Reconnects back off to at most 5 s, not
 * grpc-js's 120 s, so a healed path is used within seconds.
 */
const ETCD_CHANNEL_KEEPALIVE = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.max_reconnect_backoff_ms': 5_000,
} as const;

/**
 * Connects to etcd and proves it answers within `connectTimeoutMs`, so a wrong endpoint stops
 * start-up with a message naming it instead of hanging behind etcd3's lazy requests.
 */
export async function connectEtcd(options: EtcdConnectionOptions): Promise<EtcdConnection> {
  const client = new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.connectTimeoutMs ?? 5000,
    ...(options.credentials ? {} : etcdCredentials(options.tls)),
    // etcd3 hands grpcOptions to each grpc-js client it makes, whose options take interceptors.
    grpcOptions: {
      ...ETCD_CHANNEL_KEEPALIVE,
      ...(options.interceptors?.length ? { interceptors: [...options.interceptors] } : {}),
    } as Record<string, unknown>,
  });
  if (options.credentials) useCredentials(client, options.credentials);
  const ns = client.namespace(clusterNamespace(options.clusterName));
  const deadline = Date.now() + (options.connectTimeoutMs ?? 5000);
  try {
    await ns.get('controller').options({ deadline });
  } catch (err) {
    client.close();
    throw new Error(
      `Cannot reach etcd at ${options.endpoints.join(',')} (setting etcd.endpoints): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return { client, ns, close: () => client.close() };
}

/**
 * Makes every etcd3 host build its gRPC clients with `credentials`. etcd3 1.1 takes only PEM
 * bytes (made into credentials once, in its constructor), so this replaces the credentials of
 * its private per-host objects before the first call creates a client; if an etcd3 upgrade
 * renames them, start-up fails here rather than quietly reading the files once.
 */
function useCredentials(client: Etcd3, credentials: ChannelCredentials): void {
  const hosts = (client as unknown as { pool?: { hosts?: { channelCredentials?: unknown }[] } }).pool?.hosts;
  if (!Array.isArray(hosts) || hosts.some((h) => !('channelCredentials' in h))) {
    client.close();
    throw new Error(
      'etcd3 no longer keeps per-host channel credentials: cannot use reloading etcd TLS files',
    );
  }
  for (const host of hosts) host.channelCredentials = credentials;
}

/** etcd3's `credentials` from PEM files; none (plaintext, or public roots for https) without files. */
function etcdCredentials(tls: EtcdConnectionOptions['tls']): Pick<IOptions, 'credentials'> {
  if (tls?.caFile === undefined && tls?.certFile === undefined) return {};
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`Cannot read the etcd TLS ${what} file ${path}: ${(err as Error).message}`);
    }
  };
  return {
    credentials: {
      // etcd3 hands these to grpc-js's createSsl, where a null root means the public roots.
      rootCertificate: (tls.caFile === undefined ? null : read(tls.caFile, 'CA')) as Buffer,
      ...(tls.keyFile === undefined ? {} : { privateKey: read(tls.keyFile, 'key') }),
      ...(tls.certFile === undefined ? {} : { certChain: read(tls.certFile, 'certificate') }),
    },
  };
}
