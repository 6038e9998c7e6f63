import type { ServiceError } from '@grpc/grpc-js';
import { fromGrpcError, TributaryError } from '@tributary/errors';

/** A grpc-js unary call written as `(callback) => client.Method(request, options, callback)`. */
export type UnaryInvoker<Res> = (
  callback: (err: ServiceError | null, response?: Res) => void,
  deadline: Date,
) => unknown;

/**
 * Runs one unary call with a deadline and turns its failure into a TributaryError (the code
 * from the `tributary-error-code` trailer; transport failures become BROKER_NOT_AVAILABLE or
 * REQUEST_TIMED_OUT).
 */
export function unary<Res>(invoke: UnaryInvoker<Res>, timeoutMs: number): Promise<Res> {
  const deadline = new Date(Date.now() + timeoutMs);
  return promisify<Res>((callback) => invoke(callback, deadline));
}

/** Promisifies `(callback) => client.Method(request, { deadline }, callback)`, errors as TributaryErrors. */
export function promisify<Res>(
  invoke: (callback: (err: ServiceError | null, response?: Res) => void) => unknown,
): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    invoke((err, response) => {
      if (err !== null) reject(fromGrpcError(err));
      else if (response === undefined) reject(new TributaryError('UNKNOWN_SERVER_ERROR', 'empty response'));
      else resolve(response);
    });
  });
}
