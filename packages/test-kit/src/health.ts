import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = grpc.makeClientConstructor(
  healthService as unknown as grpc.ServiceDefinition,
  'grpc.health.v1.Health',
) as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
) => grpc.Client & {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (err: grpc.ServiceError | null, response?: { status: string | number }) => void,
  ): void;
};

/** Asks a server's grpc.health.v1 whether `service` ('' = the whole server) is SERVING. */
export function checkHealth(
  address: string,
  service = '',
  timeoutMs = 1000,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<string> {
  const client = new HealthClient(address, credentials);
  return new Promise<string>((resolve) => {
    client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, response) => {
      client.close();
      if (err) resolve(`UNREACHABLE (${err.details || err.message})`);
      else
        resolve(
          typeof response?.status === 'number'
            ? ['UNKNOWN', 'SERVING', 'NOT_SERVING'][response.status]!
            : String(response?.status),
        );
    });
  });
}
