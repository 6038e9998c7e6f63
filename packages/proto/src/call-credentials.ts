import * as grpc from '@grpc/grpc-js';

/**
 * Bearer tokens on outgoing calls (docs/security.md, "Authentication"). grpc-js refuses call
 * credentials on an insecure channel, and the token must travel on plaintext channels too while
 * TLS is off, so it is added by a client interceptor as `authorization: Bearer <token>`.
 *
 * A token source is asked on every call, so a refreshed token is used as soon as it exists.
 * A client passes its own (`CreateClientOptions.token`); a service process sets its identity
 * once (`setProcessToken`) and every client it creates without one carries it.
 */
export type TokenSource = () => string | undefined;

let processToken: TokenSource | undefined;

/**
 * Sets the token every client of this process carries unless it was given its own: a service's
 * own principal, set once at start-up by the service kit. Clients (`@tributary/client`) never
 * call this; they pass `token` per client.
 */
export function setProcessToken(source: TokenSource | undefined): void {
  processToken = source;
}

/** The metadata key of a bearer token. */
const AUTHORIZATION = 'authorization';

/** A client interceptor that adds the token of `source` (or of the process) to each call. */
export function bearerTokenInterceptor(source?: TokenSource): grpc.Interceptor {
  return (options, nextCall) => {
    const token = (source ?? processToken)?.();
    if (token === undefined) return nextCall(options) as grpc.InterceptingCall;
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(AUTHORIZATION, `Bearer ${token}`);
        next(metadata, listener);
      },
    });
  };
}
