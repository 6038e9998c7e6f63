/**
 * SaslHandshake and SaslAuthenticate: the only requests, with ApiVersions, that a connection may
 * send before it is authenticated (KafkaSession, which checks the credentials). A refusal answers SASL_AUTHENTICATION_FAILED
 * (or UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE) with a message saying why, then closes the
 * connection, as Kafka's broker does.
 */
import {
  KAFKA_ILLEGAL_SASL_STATE,
  KAFKA_SASL_AUTHENTICATION_FAILED,
  KAFKA_UNSUPPORTED_SASL_MECHANISM,
} from '@tributary/errors';
import type { Message } from '../protocol/schema';
import type { KafkaHandler } from '../served-api';
import { SASL_MECHANISMS, type SaslMechanism } from './sasl-credentials';

const EMPTY = Buffer.alloc(0);

/** SaslHandshake: picks the mechanism of the SaslAuthenticate (v1) or raw frame (v0) that follows. */
export const saslHandshakeHandler: KafkaHandler = (body, { session, version }): Message => {
  const asked = String(body['mechanism']);
  const offered = (SASL_MECHANISMS as readonly string[]).includes(asked);
  session.mechanism = offered ? (asked as SaslMechanism) : undefined;
  session.rawSaslNext = offered && version === 0;
  if (!offered) session.closeAfterResponse = true;
  return { errorCode: offered ? 0 : KAFKA_UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
};

/** SaslAuthenticate: the mechanism's client message, verified as a Tributary token. */
export function saslAuthenticateHandler(logger: SaslLogger): KafkaHandler {
  return async (body, { session, peer }) => {
    const mechanism = session.mechanism;
    const refusal = await session.authenticate(body['authBytes'] as Buffer);
    if (refusal === undefined)
      return { errorCode: 0, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: session.lifetimeMs() };
    session.closeAfterResponse = true;
    logger.info({ peer, mechanism, reason: refusal }, 'kafka SASL authentication refused');
    const errorCode = mechanism === undefined ? KAFKA_ILLEGAL_SASL_STATE : KAFKA_SASL_AUTHENTICATION_FAILED;
    return { errorCode, errorMessage: refusal, authBytes: EMPTY, sessionLifetimeMs: 0 };
  };
}

export interface SaslLogger {
  info(fields: object, msg: string): void;
}
