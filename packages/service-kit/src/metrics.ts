/**
 * Metrics every service has, named here once (Prometheus conventions: base units, `_total`,
 * `_seconds`): served unary gRPC calls, etcd requests and lease keep-alives, plus Node's process
 * metrics (prom-client's defaults: CPU, memory, event-loop lag, GC). Each service declares its
 * own metrics in its own `metrics.ts` on the same registry.
 *
 * Library: prom-client (not the OpenTelemetry metrics SDK with its Prometheus exporter). It
 * writes exactly the names declared here (the OTel exporter appends unit and `_total` suffixes
 * of its own), computes gauges at scrape time through `collect()` (consumer lag, partition
 * state), and an observation costs a map lookup and an add. See docs/observability.md.
 */
import * as grpc from '@grpc/grpc-js';
import type { RpcServerMetrics } from '@tributary/telemetry';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Latency buckets (seconds) for requests served in microseconds to seconds. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The common metrics of one service process. */
export interface CommonMetrics {
  readonly registry: Registry;
  readonly rpc: RpcServerMetrics;
  readonly etcdRequestDuration: Histogram<'method'>;
  readonly etcdLeaseKeepalives: Counter<'result'>;
}

/** A registry with the common metrics, labelled with the service and instance on every series. */
export function createCommonMetrics(labels: { service: string; instance: string }): CommonMetrics {
  const registry = new Registry();
  // `instance` is Prometheus's own target label; ours is `tributary_instance` so both survive.
  registry.setDefaultLabels({ service: labels.service, tributary_instance: labels.instance });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    rpc: {
      requests: new Counter({
        name: 'tributary_rpc_server_requests_total',
        help: 'Unary gRPC calls served, by service, method and gRPC status code.',
        labelNames: ['service', 'method', 'code'] as const,
        registers: [registry],
      }),
      duration: new Histogram({
        name: 'tributary_rpc_server_duration_seconds',
        help: 'Time to answer a unary gRPC call.',
        labelNames: ['service', 'method'] as const,
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
    },
    etcdRequestDuration: new Histogram({
      name: 'tributary_etcd_request_duration_seconds',
      help: 'Latency of unary etcd requests (Range, Txn, Put, LeaseGrant, ...), by method.',
      labelNames: ['method'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    etcdLeaseKeepalives: new Counter({
      name: 'tributary_etcd_lease_keepalives_total',
      help: 'Lease keep-alive answers from etcd: result="renewed" (TTL > 0) or "expired" (TTL 0, the lease is gone).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  };
}

/**
 * A grpc-js interceptor for the etcd client: times every unary etcd call and counts lease
 * keep-alive answers on the LeaseKeepAlive stream. Given to etcd3 through its `grpcOptions`, so
 * no registry code changes.
 */
export function etcdMetricsInterceptor(metrics: CommonMetrics): grpc.Interceptor {
  return (options, nextCall) => {
    const path = options.method_definition.path;
    const method = path.slice(path.lastIndexOf('/') + 1);
    if (method === 'LeaseKeepAlive') {
      return new grpc.InterceptingCall(nextCall(options), {
        start(metadata, _listener, next) {
          next(metadata, {
            onReceiveMessage(message: { TTL?: string | number }, nextMessage) {
              metrics.etcdLeaseKeepalives.inc({
                result: Number(message?.TTL ?? 0) > 0 ? 'renewed' : 'expired',
              });
              nextMessage(message);
            },
          });
        },
      });
    }
    if (options.method_definition.requestStream || options.method_definition.responseStream)
      return new grpc.InterceptingCall(nextCall(options));
    const stop = metrics.etcdRequestDuration.startTimer({ method });
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            stop();
            nextStatus(status);
          },
        });
      },
    });
  };
}
