/**
 * gRPC glue of BrokerService's data plane: Produce, ProduceStream, Fetch, FetchStream and
 * ListOffsets. The logic lives in produce/ and fetch/; this maps requests and errors.
 */
import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from '@tributary/errors';
import type {
  BrokerServiceHandlers,
  FetchStreamRequest__Output,
  FetchStreamResponse,
  ProduceStreamRequest__Output,
  ProduceStreamResponse,
} from '@tributary/proto';
import { handleFetch, handleListOffsets } from '../fetch/fetch';
import { FetchStreamSession } from '../fetch/fetch-stream';
import type { FetchObserver } from '../fetch/fetch-telemetry';
import type { BrokerMetrics } from '../metrics';
import { prepareProduce } from '../produce/produce';
import type { ProduceObserver } from '../produce/produce-telemetry';
import type { MetadataView, ReplicaManager } from '../replica/replica-manager';
import { ProduceStreamSession } from './produce-stream';

export interface DataPlaneDeps {
  readonly replicas: ReplicaManager;
  readonly metadata: MetadataView;
  /** Produce metrics and spans (produce-telemetry.ts). */
  readonly produceObserver?: ProduceObserver;
  /** Unary Fetch latency. */
  readonly metrics?: BrokerMetrics;
  /** Fetch response metrics and FetchStream spans (fetch-telemetry.ts). */
  readonly fetchObserver?: FetchObserver;
}

/**
 * What the produce and fetch paths take, built once per front door: the gRPC handlers below and
 * the Kafka listener's (kafka/handlers/) share it, so a record counts in the same metrics and
 * spans whichever protocol brought it.
 */
export function dataPathDeps(deps: DataPlaneDeps) {
  return {
    leaders: deps.replicas,
    metadata: deps.metadata,
    config: deps.replicas.config,
    ...(deps.produceObserver ? { observer: deps.produceObserver } : {}),
  };
}

export function brokerDataPlaneHandlers(deps: DataPlaneDeps): Partial<BrokerServiceHandlers> {
  const d = dataPathDeps(deps);
  const metrics = deps.metrics;
  return {
    Produce(call, callback) {
      let prepared: ReturnType<typeof prepareProduce>;
      try {
        prepared = prepareProduce(call.request, d);
      } catch (err) {
        callback(toGrpcError(err));
        return;
      }
      prepared.run().then(
        (res) => callback(null, res),
        (err) => callback(toGrpcError(err)),
      );
    },
    ProduceStream(call: grpc.ServerDuplexStream<ProduceStreamRequest__Output, ProduceStreamResponse>) {
      const session = new ProduceStreamSession(d, (res) => {
        if (!call.cancelled && !call.writableEnded) call.write(res);
      });
      call.on('data', (msg: ProduceStreamRequest__Output) => session.onRequest(msg));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
    Fetch(call, callback) {
      const stop = metrics?.fetchDuration.startTimer();
      handleFetch(call.request, d).then(
        (res) => {
          stop?.();
          deps.fetchObserver?.unary(res);
          callback(null, res);
        },
        (err) => callback(toGrpcError(err)),
      );
    },
    FetchStream(call: grpc.ServerDuplexStream<FetchStreamRequest__Output, FetchStreamResponse>) {
      const observe = deps.fetchObserver?.stream(call.metadata);
      const session = new FetchStreamSession(d, (res, readySinceMs) => {
        observe?.(res, readySinceMs);
        if (!call.cancelled && !call.writableEnded) call.write(res);
      });
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        void session.close();
        if (err !== undefined) call.emit('error', toGrpcError(err));
        else if (!call.writableEnded) call.end();
      };
      call.on('data', (msg: FetchStreamRequest__Output) => {
        try {
          session.onMessage(msg);
        } catch (err) {
          end(err);
        }
      });
      call.on('end', () => end());
      call.on('cancelled', () => end());
      call.on('error', () => end());
    },
    ListOffsets(call, callback) {
      try {
        callback(null, handleListOffsets(call.request, d));
      } catch (err) {
        callback(toGrpcError(err));
      }
    },
  };
}
