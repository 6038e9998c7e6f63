import { type GrpcServerOptions, type RunningGrpcServer, startGrpcServer } from './grpc-server';
import type { Step } from './lifecycle';

/**
 * The gRPC server as two steps: `listen` binds early (health NOT_SERVING, so a port conflict
 * fails start-up before anything is registered), and `serving` — the last step — flips health to
 * SERVING once everything else has started. Stopping reverses it: NOT_SERVING first, then the
 * registration goes, then the server drains in-flight calls and closes.
 */
export function grpcServerSteps(options: GrpcServerOptions & { drainMs: number }): {
  listen: Step;
  serving: Step;
  get(): RunningGrpcServer;
} {
  let running: RunningGrpcServer | undefined;
  const get = () => {
    if (!running) throw new Error('gRPC server is not started yet');
    return running;
  };
  return {
    listen: {
      name: 'grpc-server',
      async start() {
        running = await startGrpcServer(options);
      },
      async stop() {
        await running?.stop(options.drainMs);
      },
    },
    serving: {
      name: 'serving',
      start: () => get().setServing(true),
      stop: () => running?.setServing(false),
    },
    get,
  };
}
