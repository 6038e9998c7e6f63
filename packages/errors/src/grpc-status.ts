import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { errorSpecByName } from './error-table';
import { toTributaryError } from './item-error';
import { TributaryError } from './tributary-error';

/** Trailer that carries the Tributary error code beside the gRPC status. */
export const ERROR_CODE_TRAILER = 'tributary-error-code';

/** gRPC status for a whole-request failure with a Tributary code; the code decides, never the text. */
function statusForCode(errorName: string): status {
  switch (errorName) {
    case 'INVALID_REQUEST':
    case 'INVALID_TOPIC':
    case 'INVALID_CONFIG':
    case 'INVALID_PARTITIONS':
    case 'INVALID_REPLICATION_FACTOR':
    case 'INVALID_REPLICA_ASSIGNMENT':
    case 'INVALID_REQUIRED_ACKS':
    case 'INVALID_GROUP_ID':
    case 'INVALID_SESSION_TIMEOUT':
    case 'CORRUPT_MESSAGE':
      return status.INVALID_ARGUMENT;
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
      return status.RESOURCE_EXHAUSTED;
    case 'TOPIC_ALREADY_EXISTS':
      return status.ALREADY_EXISTS;
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'GROUP_ID_NOT_FOUND':
    case 'UNKNOWN_TOPIC_ID':
      return status.NOT_FOUND;
    case 'NON_EMPTY_GROUP':
    case 'NOT_CONTROLLER':
    case 'NOT_COORDINATOR':
    case 'NOT_LEADER_OR_FOLLOWER':
      return status.FAILED_PRECONDITION;
    case 'UNIMPLEMENTED':
      return status.UNIMPLEMENTED;
    case 'AUTHENTICATION_FAILED':
      return status.UNAUTHENTICATED;
    case 'TOPIC_AUTHORIZATION_FAILED':
    case 'GROUP_AUTHORIZATION_FAILED':
    case 'CLUSTER_AUTHORIZATION_FAILED':
      return status.PERMISSION_DENIED;
    case 'REQUEST_TIMED_OUT':
      return status.DEADLINE_EXCEEDED;
    case 'UNKNOWN_SERVER_ERROR':
      return status.INTERNAL;
    default:
      return errorSpecByName(errorName as 'NONE').retriable ? status.UNAVAILABLE : status.FAILED_PRECONDITION;
  }
}

/** Turns any thrown value into the object a grpc-js handler passes to its callback or `emit('error')`. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  const tributaryError = toTributaryError(err);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, String(tributaryError.code));
  return { code: statusForCode(tributaryError.errorName), details: tributaryError.message, metadata };
}

/**
 * Turns a failed call's error into a TributaryError; transport failures become retriable
 * BROKER_NOT_AVAILABLE. gRPC CANCELLED becomes CANCELLED (retriable: a server going away
 * cancels its streams too), so a caller that cancelled a call itself tells it by its code,
 * never by its message.
 */
export function fromGrpcError(err: ServiceError | Error): TributaryError {
  if (err instanceof TributaryError) return err;
  const serviceError = err as Partial<ServiceError>;
  const codeText = serviceError.metadata?.get(ERROR_CODE_TRAILER)[0];
  const message = serviceError.details ?? err.message;
  if (codeText !== undefined) return TributaryError.fromCode(Number(codeText), message);
  switch (serviceError.code) {
    case status.CANCELLED:
      return new TributaryError('CANCELLED', message, { cause: err });
    case status.UNAVAILABLE:
      return new TributaryError('BROKER_NOT_AVAILABLE', message, { cause: err });
    case status.DEADLINE_EXCEEDED:
      return new TributaryError('REQUEST_TIMED_OUT', message, { cause: err });
    case status.UNIMPLEMENTED:
      return new TributaryError('UNIMPLEMENTED', message, { cause: err });
    case status.INVALID_ARGUMENT:
      return new TributaryError('INVALID_REQUEST', message, { cause: err });
    case status.UNAUTHENTICATED:
      return new TributaryError('AUTHENTICATION_FAILED', message, { cause: err });
    case status.PERMISSION_DENIED:
      return new TributaryError('CLUSTER_AUTHORIZATION_FAILED', message, { cause: err });
    default:
      return new TributaryError('UNKNOWN_SERVER_ERROR', message, { cause: err });
  }
}
