/**
 * Shared by the security suites: a cluster with ACLs on, RPC calls by proto method name with or
 * without a token, and "nothing changed" snapshots (every etcd key with its mod revision, and
 * partitions' end offsets).
 */
import type * as grpc from '@grpc/grpc-js';
import { createClient, loadTributaryPackageDefinition, type TributaryServiceName } from '@tributary/proto';
import { connectEtcd, type EtcdConnection } from '@tributary/registry';
import type { LocalCluster } from '@tributary/test-kit';

/** Every service and method of tributary.v1, from the .proto files the services load. */
export function contractMethods(): { service: TributaryServiceName; method: string; streaming: boolean }[] {
  const definition = loadTributaryPackageDefinition();
  const out: { service: TributaryServiceName; method: string; streaming: boolean }[] = [];
  for (const [name, def] of Object.entries(definition)) {
    // Messages and enums carry a `format`; services are maps of method definitions.
    if (!name.startsWith('tributary.v1.') || 'format' in def) continue;
    const methods = def as unknown as Record<string, { requestStream: boolean; responseStream: boolean }>;
    for (const [method, spec] of Object.entries(methods))
      out.push({
        service: name.slice('tributary.v1.'.length) as TributaryServiceName,
        method,
        streaming: spec.requestStream || spec.responseStream,
      });
  }
  return out;
}

/** The process that serves a service in a LocalCluster. */
export function addressOf(cluster: LocalCluster, service: TributaryServiceName): string {
  switch (service) {
    case 'BrokerService':
    case 'ReplicationService':
      return cluster.brokers[0]!.address;
    case 'ControllerService':
      return cluster.controllers[0]!.address;
    case 'GroupCoordinatorService':
      return cluster.coordinators[0]!.address;
  }
}

export interface CallOutcome {
  /** gRPC status code (0 = OK). */
  code: number;
  details: string;
  /** The trailer's Tributary error code, when the call failed with one. */
  errorCode?: number;
  /** The unary response, or the first stream message. */
  response?: Record<string, unknown>;
}

type AnyClient = Record<string, (...args: unknown[]) => unknown> & grpc.Client;

/**
 * Calls `method` once: a unary call with `request`, or a stream that sends `request` as its
 * first message and ends at its first response or error (then it is cancelled).
 */
export async function callOnce(
  cluster: LocalCluster,
  service: TributaryServiceName,
  method: string,
  streaming: boolean,
  request: object,
  token?: string,
): Promise<CallOutcome> {
  const client = createClient(service, addressOf(cluster, service), {
    token: () => token,
  }) as unknown as AnyClient;
  const deadline = Date.now() + 10_000;
  const failed = (err: grpc.ServiceError): CallOutcome => {
    const trailer = err.metadata?.get('tributary-error-code')[0];
    return {
      code: err.code,
      details: err.details,
      ...(trailer === undefined ? {} : { errorCode: Number(trailer) }),
    };
  };
  try {
    if (!streaming) {
      return await new Promise<CallOutcome>((resolve) => {
        client[method]!(
          request,
          { deadline },
          (err: grpc.ServiceError | null, response: Record<string, unknown>) =>
            resolve(err ? failed(err) : { code: 0, details: 'OK', response }),
        );
      });
    }
    return await new Promise<CallOutcome>((resolve) => {
      const stream = client[method]!({ deadline }) as grpc.ClientDuplexStream<
        object,
        Record<string, unknown>
      >;
      let done = false;
      const finish = (outcome: CallOutcome) => {
        if (done) return;
        done = true;
        stream.cancel();
        resolve(outcome);
      };
      stream.on('data', (response: Record<string, unknown>) => finish({ code: 0, details: 'OK', response }));
      stream.on('error', (err: grpc.ServiceError) => finish(failed(err)));
      stream.on('status', (s: grpc.StatusObject) => finish({ code: s.code, details: s.details }));
      stream.write(request);
    });
  } finally {
    client.close();
  }
}

/** Every key of the cluster's namespace with its mod revision: equal snapshots = nothing written. */
export async function etcdSnapshot(etcd: EtcdConnection): Promise<Record<string, string>> {
  const res = await etcd.ns.getAll().exec();
  return Object.fromEntries(res.kvs.map((kv) => [kv.key.toString(), String(kv.mod_revision)]));
}

export function openEtcd(cluster: LocalCluster): Promise<EtcdConnection> {
  return connectEtcd({ endpoints: [cluster.etcd.endpoint], clusterName: cluster.clusterName });
}
