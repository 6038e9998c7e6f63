import type { Interceptor } from '@grpc/grpc-js';
import { Etcd3, type Namespace } from 'etcd3';
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
