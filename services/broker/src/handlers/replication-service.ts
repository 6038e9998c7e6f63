/**
 * gRPC glue of ReplicationService: ReplicaFetch rounds (strictly one outstanding per stream)
 * and OffsetForLeaderEpoch. Logic: replication/leader-side.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from '@tributary/errors';
import type {
  ReplicaFetchRequest__Output,
  ReplicaFetchResponse,
  ReplicationServiceHandlers,
} from '@tributary/proto';
import type { ReplicaManager } from '../replica/replica-manager';
import { handleOffsetForLeaderEpoch, handleReplicaFetchRound } from '../replication/leader-side';

export function replicationHandlers(replicas: ReplicaManager): ReplicationServiceHandlers {
  return {
    ReplicaFetch(call: grpc.ServerDuplexStream<ReplicaFetchRequest__Output, ReplicaFetchResponse>) {
      let queue = Promise.resolve();
      let replicaId: number | undefined;
      call.on('data', (req: ReplicaFetchRequest__Output) => {
        if (replicaId === undefined) replicaId = req.replicaId;
        else if (replicaId !== req.replicaId) {
          call.emit('error', toGrpcError(new Error('replica_id changed within a stream')));
          return;
        }
        queue = queue.then(async () => {
          try {
            const res = await handleReplicaFetchRound(req, replicas);
            if (!call.cancelled && !call.writableEnded) call.write(res);
          } catch (err) {
            call.emit('error', toGrpcError(err));
          }
        });
      });
      call.on('end', () => void queue.then(() => call.end()));
      call.on('error', () => undefined);
    },
    OffsetForLeaderEpoch(call, callback) {
      try {
        callback(null, handleOffsetForLeaderEpoch(call.request, replicas));
      } catch (err) {
        callback(toGrpcError(err));
      }
    },
  };
}
