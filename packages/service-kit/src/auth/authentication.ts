import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA_KEY, TokenError } from '@tributary/auth';
import { TributaryError, toGrpcError } from '@tributary/errors';
import type { TokenVerifier } from './token-verifier';

/**
 * Authentication of every call, in one server interceptor (docs/security.md, "Authentication").
 * A call's principal is, in this order:
 * 1. the subject of a bearer token (`authorization: Bearer <jwt>`) signed with the cluster key;
 * 2. `User:<common name>` of the client certificate, when the listener runs mutual TLS
 *    (`call.getAuthContext()`).
 * Anything else ends the call with UNAUTHENTICATED (trailer AUTHENTICATION_FAILED) before its
 * request message is even read, so no handler runs. Health checks and server reflection need
 * no credentials (a Kubernetes probe carries none, and neither says anything about data).
 *
 * The principal is kept beside the call's Metadata object (which grpc-js hands on to the
 * handler) for the authorization wrapper: `principalOf(call.metadata)`.
 */
const principals = new WeakMap<grpc.Metadata, string>();

/** The authenticated principal of a call, from its metadata; undefined when nobody checked. */
export function principalOf(metadata: grpc.Metadata): string | undefined {
  return principals.get(metadata);
}

/** Services whose calls need no credentials. */
const OPEN_SERVICES = ['/grpc.health.v1.Health/', '/grpc.reflection.'];

/** Authenticates every call of a server; tokens are checked by the service's one `verifier`. */
export function authenticationInterceptor(verifier: TokenVerifier): grpc.ServerInterceptor {
  return (method, call) => {
    if (OPEN_SERVICES.some((prefix) => method.path.startsWith(prefix)))
      return new grpc.ServerInterceptingCall(call);
    const refuse = (message: string) => {
      // `/tributary.v1.BrokerService/Metadata` → `BrokerService/Metadata`, as authorization names it.
      const name = method.path.slice(method.path.lastIndexOf('.') + 1);
      const err = toGrpcError(new TributaryError('AUTHENTICATION_FAILED', `${name}: ${message}`));
      call.sendStatus({ code: err.code!, details: err.details!, metadata: err.metadata! });
    };
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const header = metadata.get(AUTHORIZATION_METADATA_KEY)[0];
            if (header === undefined) {
              const principal = certificatePrincipal(call.getAuthContext());
              if (principal === undefined) return refuse('no bearer token or client certificate was sent');
              principals.set(metadata, principal);
              return nextMetadata(metadata);
            }
            const match = /^Bearer\s+(\S+)$/i.exec(String(header));
            if (!match) return refuse('the authorization header is not "Bearer <token>"');
            const token = match[1]!;
            const cached = verifier.cached(token);
            if (cached !== undefined) {
              principals.set(metadata, cached.principal);
              return nextMetadata(metadata);
            }
            verifier.verify(token).then(
              (result) => {
                principals.set(metadata, result.principal);
                nextMetadata(metadata);
              },
              (err: unknown) => refuse(err instanceof TokenError ? err.message : 'the token is not valid'),
            );
          },
        });
      },
    });
  };
}

/** `User:<CN>` of a verified client certificate, if the connection has one. */
function certificatePrincipal(
  auth: ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']> | undefined,
): string | undefined {
  if (auth?.transportSecurityType !== 'ssl') return undefined;
  const cn = auth.sslPeerCertificate?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return typeof name === 'string' && name.length > 0 ? `User:${name}` : undefined;
}
