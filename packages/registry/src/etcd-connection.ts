import { readFileSync } from 'node:fs';
import type { Interceptor } from '@grpc/grpc-js';
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
   * and a client certificate for etcd's `--client-cert-auth`. Read once, at connect: etcd3 makes
   * its channel credentials once, so a rotated etcd client certificate needs a restart.
   */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** One etcd client and the namespace every Tributary key is built inside. */
export interface EtcdConnection {
  readonly client: Etcd3;
  /** The cluster namespace; keys from `keys.ts` are relative to it. */
  readonly ns: Namespace;
  close(): void;
}

/**
 * Connects to etcd and proves it answers within `connectTimeoutMs`, so a wrong endpoint stops
 * start-up with a message naming it instead of hanging behind etcd3's lazy requests.
 */
export async function connectEtcd(options: EtcdConnectionOptions): Promise<EtcdConnection> {
  const client = new Etcd3({
    hosts: [...options.endpoints],
    dialTimeout: options.connectTimeoutMs ?? 5000,
    ...etcdCredentials(options.tls),
    // etcd3 hands grpcOptions to each grpc-js client it makes, whose options take interceptors.
    ...(options.interceptors?.length
      ? { grpcOptions: { interceptors: [...options.interceptors] } as Record<string, unknown> }
      : {}),
  });
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
