/**
 * Tributary's error codes as Kafka wire-protocol error codes, for the brokers' Kafka listener
 * (ARCHITECTURE §8c: one error table maps Tributary's codes to Kafka's). The table in
 * `error-table.ts` already uses Kafka's number wherever Kafka has the same error, so those pass
 * through unchanged; the codes Tributary adds (1000 and up) have no Kafka twin and map here.
 */
import { errorSpecByCode, isKnownErrorCode } from './error-table';

/** Kafka's UNKNOWN_SERVER_ERROR. */
export const KAFKA_UNKNOWN_SERVER_ERROR = -1;
/** Kafka's SASL_AUTHENTICATION_FAILED: the nearest code a Kafka client reads as bad credentials. */
export const KAFKA_SASL_AUTHENTICATION_FAILED = 58;
/** Kafka's UNSUPPORTED_SASL_MECHANISM: SaslHandshake named a mechanism the listener does not offer. */
export const KAFKA_UNSUPPORTED_SASL_MECHANISM = 33;
/** Kafka's ILLEGAL_SASL_STATE: a SASL request out of order (SaslAuthenticate before SaslHandshake). */
export const KAFKA_ILLEGAL_SASL_STATE = 34;
/** Kafka's UNSUPPORTED_VERSION: the API or version is not served. */
export const KAFKA_UNSUPPORTED_VERSION = 35;

/** Tributary-only codes and the Kafka code a Kafka client understands in their place. */
const TRIBUTARY_ONLY: Readonly<Record<string, number>> = {
  UNKNOWN_SERVER_ERROR: KAFKA_UNKNOWN_SERVER_ERROR,
  UNIMPLEMENTED: KAFKA_UNSUPPORTED_VERSION,
  BROKER_ID_IN_USE: KAFKA_UNKNOWN_SERVER_ERROR,
  AUTHENTICATION_FAILED: KAFKA_SASL_AUTHENTICATION_FAILED,
  // Client-side only (a cancelled gRPC call); never answered by a broker.
  CANCELLED: KAFKA_UNKNOWN_SERVER_ERROR,
};

/** The Kafka error code for a Tributary error code (UNKNOWN_SERVER_ERROR for codes it lacks). */
export function kafkaErrorCode(tributaryCode: number): number {
  if (!isKnownErrorCode(tributaryCode)) return KAFKA_UNKNOWN_SERVER_ERROR;
  const spec = errorSpecByCode(tributaryCode);
  return TRIBUTARY_ONLY[spec.name] ?? spec.code;
}
