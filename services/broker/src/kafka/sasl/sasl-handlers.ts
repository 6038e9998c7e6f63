/**
 * SaslHandshake and SaslAuthenticate: the only requests, with ApiVersions, that a connection may
 * send before it is authenticated (KafkaSession). A refusal answers SASL_AUTHENTICATION_FAILED
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
import { parseSaslClaim, SASL_MECHANISMS, type SaslMechanism } from './sasl-credentials';

const EMPTY = Buffer.alloc(0);

/** SaslHandshake v1: picks the mechanism of the SaslAuthenticate that follows. */
export const saslHandshakeHandler: KafkaHandler = (body, { session }): Message => {
  const asked = String(body['mechanism']);
  const offered = (SASL_MECHANISMS as readonly string[]).includes(asked);
  session.mechanism = offered ? asked : undefined;
  if (!offered) session.closeAfterResponse = true;
  return { errorCode: offered ? 0 : KAFKA_UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
};

/** SaslAuthenticate: the mechanism's client message, verified as a Tributary token. */
export function saslAuthenticateHandler(logger: { info(fields: object, msg: string): void }): KafkaHandler {
  return async (body, { session, peer }) => {
    const mechanism = session.mechanism as SaslMechanism | undefined;
    session.mechanism = undefined;
    const refuse = (errorCode: number, errorMessage: string): Message => {
      session.closeAfterResponse = true;
      logger.info({ peer, mechanism, reason: errorMessage }, 'kafka SASL authentication refused');
      return { errorCode, errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0 };
    };
    if (mechanism === undefined || session.authentication === undefined)
      return refuse(KAFKA_ILLEGAL_SASL_STATE, 'SaslAuthenticate without a SaslHandshake before it');
    try {
      const claim = parseSaslClaim(mechanism, body['authBytes'] as Buffer);
      const token = await session.authentication.verifyToken(claim.token);
      const other = claim.claimedPrincipals.find((p) => p !== token.principal);
      if (other !== undefined)
        return refuse(
          KAFKA_SASL_AUTHENTICATION_FAILED,
          `the token is for ${token.principal}, not ${other} (the SASL username must name the token's principal)`,
        );
      session.authenticated(token);
      return { errorCode: 0, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: session.lifetimeMs() };
    } catch (err) {
      // TokenError (signature, expiry, issuer), SaslFormatError, or a principal change.
      return refuse(KAFKA_SASL_AUTHENTICATION_FAILED, `${mechanism}: ${(err as Error).message}`);
    }
  };
}
