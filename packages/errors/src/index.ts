export {
  ERROR_TABLE,
  ErrorCode,
  type ErrorName,
  type ErrorSpec,
  errorSpecByCode,
  errorSpecByName,
  isKnownErrorCode,
} from './error-table';
export { ERROR_CODE_TRAILER, fromGrpcError, toGrpcError } from './grpc-status';
export { type ItemError, toItemError, toTributaryError } from './item-error';
export {
  KAFKA_ILLEGAL_SASL_STATE,
  KAFKA_SASL_AUTHENTICATION_FAILED,
  KAFKA_UNKNOWN_SERVER_ERROR,
  KAFKA_UNSUPPORTED_SASL_MECHANISM,
  KAFKA_UNSUPPORTED_VERSION,
  kafkaErrorCode,
} from './kafka-error-code';
export {
  BufferExhaustedError,
  CorruptMessageError,
  type ErrorContext,
  InvalidConfigError,
  MessageTooLargeError,
  NotLeaderError,
  OffsetOutOfRangeError,
  TributaryError,
} from './tributary-error';
