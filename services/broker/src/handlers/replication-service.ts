/**
 * gRPC glue of ReplicationService: ReplicaFetch rounds (strictly one outstanding per stream,
 * through the stream's fetch session, replication/fetch-session.ts) and OffsetForLeaderEpoch
 * (replication/leader-side.ts).
 */
import type * as grpc from '@grpc/grpc-js';
import { toGrpcError } from '@tributary/errors';
import type {
  ReplicaFetchRequest__Output,
  ReplicaFetchResponse,
  ReplicationServiceHandlers,
} from '@tributary/proto';
import type { ReplicaManager } from '../replica/replica-manager';
import { ReplicaFetchSession } from '../replication/fetch-session';
import { handleOffsetForLeaderEpoch } from '../replication/leader-side';

export function replicationHandlers(replicas: ReplicaManager): ReplicationServiceHandlers {
  return {
    ReplicaFetch(call: grpc.ServerDuplexStream<ReplicaFetchRequest__Output, ReplicaFetchResponse>) {
      let queue = Promise.resolve();
      let session: ReplicaFetchSession | undefined;
      call.on('data', (req: ReplicaFetchRequest__Output) => {
        session ??= new ReplicaFetchSession(replicas, req.replicaId);
        if (session.replicaId !== req.replicaId) {
          call.emit('error', toGrpcError(new Error('replica_id changed within a stream')));
          return;
        }
        queue = queue.then(async () => {
          try {
            const res = await session!.round(req);
            if (!call.cancelled && !call.writableEnded) call.write(res);
          } catch (err) {
            call.emit('error', toGrpcError(err));
          }
        });
      });
      const close = () => session?.close();
      call.on(
        'end',
        () =>
          void queue.then(() => {
            close();
            call.end();
          }),
      );
      call.on('error', close);
      call.on('cancelled', close);
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
