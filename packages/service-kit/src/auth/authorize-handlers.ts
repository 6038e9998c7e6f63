import type * as grpc from '@grpc/grpc-js';
import type { AclAuthorizer } from '@tributary/auth';
import { type ErrorName, TributaryError, toGrpcError } from '@tributary/errors';
import { principalOf } from './authentication';
import { type Access, deniedAccess, NO_POLICY, RPC_POLICIES, type RpcPolicy } from './rpc-policies';

const REFUSAL_CODE: Readonly<Record<Access['type'], ErrorName>> = {
  cluster: 'CLUSTER_AUTHORIZATION_FAILED',
  topic: 'TOPIC_AUTHORIZATION_FAILED',
  group: 'GROUP_AUTHORIZATION_FAILED',
};

/**
 * Why `principal` was refused `access`: TOPIC_, GROUP_ or CLUSTER_AUTHORIZATION_FAILED by the
 * kind of resource, and a message naming principal, operation and resource. gRPC answers it as
 * PERMISSION_DENIED; the Kafka listener as the same code in the refused item.
 */
export function accessRefusal(method: string, principal: string, access: Access): TributaryError {
  return new TributaryError(
    REFUSAL_CODE[access.type],
    `${method}: ${principal} is not authorized to ${access.operation} ${access.type} ${access.name}`,
  );
}

/** The error a refused call ends with: PERMISSION_DENIED, and the kind of resource in the trailer. */
function refusal(method: string, principal: string, access: Access): Partial<grpc.ServiceError> {
  return toGrpcError(accessRefusal(method, principal, access));
}

const unauthenticated = (method: string) =>
  toGrpcError(
    new TributaryError('AUTHENTICATION_FAILED', `${method}: the call carries no authenticated principal`),
  );

/**
 * Wraps every handler of one service with its authorization (RPC_POLICIES), in one place rather
 * than in each handler, as `instrumentHandlers` does for telemetry. A unary call is checked on
 * its request before the handler runs, and its response trimmed where the policy says; a stream
 * is checked message by message as each arrives, and a refused message ends the stream with
 * PERMISSION_DENIED before the handler sees it. Methods without a policy are refused.
 */
export function authorizeHandlers(
  serviceName: string,
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  authorizer: () => AclAuthorizer,
): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const handler = handlers[method];
    if (handler === undefined) continue;
    const name = `${serviceName}/${method}`;
    const policy: RpcPolicy = RPC_POLICIES[name] ?? NO_POLICY;
    if (!spec.requestStream) {
      out[method] = authorizeUnaryOrServerStream(name, policy, handler, authorizer, spec.responseStream);
    } else {
      out[method] = authorizeStream(name, policy, handler, authorizer);
    }
  }
  return out;
}

function authorizeUnaryOrServerStream(
  name: string,
  policy: RpcPolicy,
  handler: grpc.UntypedHandleCall,
  authorizer: () => AclAuthorizer,
  serverStream: boolean,
): grpc.UntypedHandleCall {
  if (serverStream) {
    return ((call: grpc.ServerWritableStream<unknown, unknown>) => {
      const principal = principalOf(call.metadata);
      if (principal === undefined) return call.emit('error', unauthenticated(name));
      const denied = deniedAccess(policy, call.request, principal, authorizer());
      if (denied) return call.emit('error', refusal(name, principal, denied));
      (handler as grpc.handleServerStreamingCall<unknown, unknown>)(call);
    }) as grpc.UntypedHandleCall;
  }
  return ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
    const principal = principalOf(call.metadata);
    if (principal === undefined) return callback(unauthenticated(name));
    const acl = authorizer();
    const denied = deniedAccess(policy, call.request, principal, acl);
    if (denied) return callback(refusal(name, principal, denied));
    const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
    const filter = policy.filterResponse;
    if (filter === undefined) return unary(call, callback);
    unary(call, (err, value, trailer, flags) =>
      callback(
        err,
        err || value === null || value === undefined ? value : filter(value, call.request, principal, acl),
        trailer,
        flags,
      ),
    );
  }) as grpc.UntypedHandleCall;
}

/**
 * A client or bidi stream: each incoming message is checked as grpc-js pushes it into the
 * stream, before any handler listener sees it. A refused message ends the stream: the status
 * goes out as PERMISSION_DENIED, and the handler sees its input end.
 */
function authorizeStream(
  name: string,
  policy: RpcPolicy,
  handler: grpc.UntypedHandleCall,
  authorizer: () => AclAuthorizer,
): grpc.UntypedHandleCall {
  return ((call: grpc.ServerDuplexStream<unknown, unknown>) => {
    const principal = principalOf(call.metadata);
    if (principal === undefined) {
      call.emit('error', unauthenticated(name));
      return;
    }
    const push = call.push.bind(call);
    let closed = false;
    call.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
      if (closed) return false;
      if (chunk !== null) {
        const denied = deniedAccess(policy, chunk, principal, authorizer());
        if (denied) {
          closed = true;
          call.emit('error', refusal(name, principal, denied));
          return push(null);
        }
      }
      return push(chunk, encoding);
    };
    (handler as grpc.handleBidiStreamingCall<unknown, unknown>)(call);
  }) as grpc.UntypedHandleCall;
}
