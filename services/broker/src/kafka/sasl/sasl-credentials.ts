/**
 * What a Kafka client's SASL bytes say, for the two mechanisms the Kafka listener offers. Both
 * carry a Tributary bearer token, so both end in the same verification (the service's
 * TokenVerifier, as for gRPC's `authorization: Bearer`):
 * - **PLAIN** (RFC 4616): `[authzid] NUL username NUL password`; the password is the token and
 *   the username must name the token's principal (`alice` or `User:alice`). Every Kafka client
 *   speaks it without plug-ins (kcat/librdkafka `sasl.username`/`sasl.password`, the Java
 *   client's PlainLoginModule, kafkajs `mechanism: 'plain'`).
 * - **OAUTHBEARER** (RFC 7628, KIP-255): the GS2 header `n,[a=authzid],` then `auth=Bearer
 *   <token>` and optional extensions, separated by SOH (0x01); the token is the JWT itself.
 *   For clients with a token callback (kafkajs `oauthBearerProvider`, the Java client's login
 *   callback handler). librdkafka's and the Java client's default "unsecured" token builders
 *   make `alg: none` tokens, which are refused like any unsigned token.
 * An authorization identity, when sent, must name the same principal: nobody acts as another.
 */
import { normalizePrincipal } from '@tributary/auth';

/** The mechanisms offered, as SaslHandshake lists them. */
export const SASL_MECHANISMS = ['PLAIN', 'OAUTHBEARER'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** A client's claim: the token to verify, and the principals it says it is (all must match). */
export interface SaslClaim {
  readonly token: string;
  /** Principals the client named besides the token (username, authzid), normalized. */
  readonly claimedPrincipals: readonly string[];
}

/** Why SASL bytes were refused before the token was even looked at. */
export class SaslFormatError extends Error {
  override readonly name = 'SaslFormatError';
}

const SOH = '\u0001';

/** Parses one mechanism's client message; throws SaslFormatError when it does not parse. */
export function parseSaslClaim(mechanism: SaslMechanism, bytes: Buffer): SaslClaim {
  return mechanism === 'PLAIN' ? parsePlain(bytes) : parseOAuthBearer(bytes);
}

function parsePlain(bytes: Buffer): SaslClaim {
  const parts = bytes.toString('utf8').split('\u0000');
  if (parts.length !== 3)
    throw new SaslFormatError('SASL/PLAIN message is not "authzid NUL username NUL password"');
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '') throw new SaslFormatError('SASL/PLAIN username is empty');
  if (password === '')
    throw new SaslFormatError('SASL/PLAIN password is empty: it must be a Tributary token');
  const claimed = [normalizePrincipal(username)];
  if (authzid !== '') claimed.push(normalizePrincipal(authzid));
  return { token: password, claimedPrincipals: claimed };
}

function parseOAuthBearer(bytes: Buffer): SaslClaim {
  const text = bytes.toString('utf8');
  // GS2 header: "n,<authzid part>," then key=value pairs separated by SOH, ended by SOH SOH.
  const gs2 = /^([ny]|p=[^,]*),(a=[^,]*)?,/.exec(text);
  if (!gs2) throw new SaslFormatError('SASL/OAUTHBEARER message does not start with a GS2 header ("n,,")');
  if (gs2[1]!.startsWith('p='))
    throw new SaslFormatError('SASL/OAUTHBEARER channel binding is not supported');
  const rest = text.slice(gs2[0].length);
  if (!rest.startsWith(SOH) || !rest.endsWith(SOH + SOH))
    throw new SaslFormatError('SASL/OAUTHBEARER message is not framed by SOH characters');
  let token: string | undefined;
  for (const pair of rest.slice(1, -2).split(SOH)) {
    if (pair.startsWith('auth=')) {
      const m = /^auth=Bearer +(\S+)$/i.exec(pair);
      if (!m) throw new SaslFormatError('SASL/OAUTHBEARER auth is not "Bearer <token>"');
      token = m[1];
    }
  }
  if (token === undefined) throw new SaslFormatError('SASL/OAUTHBEARER message carries no auth=Bearer token');
  const authzid = gs2[2]?.slice(2) ?? '';
  return { token, claimedPrincipals: authzid === '' ? [] : [normalizePrincipal(decodeSaslName(authzid))] };
}

/** RFC 5801 saslname: `=2C` is a comma, `=3D` an equals sign. */
function decodeSaslName(name: string): string {
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
