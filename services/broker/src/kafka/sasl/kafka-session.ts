/**
 * Who is on the other end of one Kafka connection (docs/security.md, "The Kafka listener"). With
 * authentication off there is nobody to ask and every request is served. With it on, a connection
 * starts authenticated only if its TLS client certificate was verified (principal
 * `User:<common name>`, as on gRPC); otherwise it must complete SaslHandshake + SaslAuthenticate
 * before any request but ApiVersions, and the connection is closed when it does not (Kafka's
 * broker does the same). A SASL session ends when its token expires: the client is told the
 * lifetime (KIP-368 `sessionLifetimeMs`) and may re-authenticate on the same connection, as the
 * same principal; a request after the expiry closes the connection.
 */
import type { VerifiedToken } from '@tributary/auth';
import { parseSaslClaim, type SaslMechanism } from './sasl-credentials';

/** How the listener checks credentials: the service's one token verifier. */
export interface KafkaAuthentication {
  verifyToken(token: string): Promise<VerifiedToken>;
}

export class KafkaSession {
  #principal: string | undefined;
  /** When the SASL session ends (the token's expiry); Infinity for a certificate's principal. */
  #expiresAtMs = Number.POSITIVE_INFINITY;
  /** The mechanism SaslHandshake chose, waiting for SaslAuthenticate (or, after v0, raw bytes). */
  mechanism: SaslMechanism | undefined;
  /**
   * Set by SaslHandshake v0 (KIP-43): the next frame is the mechanism's bytes without a Kafka
   * request header, answered with a bare size-prefixed frame (librdkafka asks for v0 to be
   * advertised, though it sends v1 when offered).
   */
  rawSaslNext = false;
  /** Set by a handler whose answer ends the connection (a failed authentication). */
  closeAfterResponse = false;

  constructor(
    /** Undefined: authentication is off on this listener. */
    readonly authentication: KafkaAuthentication | undefined,
    certificatePrincipal?: string,
    private readonly now: () => number = Date.now,
  ) {
    if (authentication !== undefined) this.#principal = certificatePrincipal;
  }

  /** The authenticated principal; undefined with authentication off, or before it succeeded. */
  get principal(): string | undefined {
    return this.#principal;
  }

  /** Why a request other than ApiVersions and SASL may not run now, or undefined when it may. */
  refusal(): string | undefined {
    if (this.authentication === undefined) return undefined;
    if (this.#principal === undefined) return 'request before SASL authentication';
    if (this.#expiresAtMs <= this.now()) return 'SASL session expired (the token’s exp passed)';
    return undefined;
  }

  /**
   * Checks the chosen mechanism's client message: its token verified, the names it claims equal
   * to the token's principal. Resolves to why it was refused, or undefined once the session is
   * authenticated. A SASL re-authentication must keep the principal (Kafka's rule); a SASL login
   * over a certificate-authenticated connection replaces the certificate's principal (Kafka's
   * SASL_SSL).
   */
  async authenticate(bytes: Buffer): Promise<string | undefined> {
    const mechanism = this.mechanism;
    this.mechanism = undefined;
    if (mechanism === undefined || this.authentication === undefined)
      return 'SaslAuthenticate without a SaslHandshake before it';
    let token: VerifiedToken;
    try {
      const claim = parseSaslClaim(mechanism, bytes);
      token = await this.authentication.verifyToken(claim.token);
      const other = claim.claimedPrincipals.find((p) => p !== token.principal);
      if (other !== undefined)
        return `${mechanism}: the token is for ${token.principal}, not ${other} (the SASL username must name the token's principal)`;
    } catch (err) {
      // TokenError (signature, expiry, issuer) or SaslFormatError.
      return `${mechanism}: ${(err as Error).message}`;
    }
    if (Number.isFinite(this.#expiresAtMs) && this.#principal !== token.principal)
      return `${mechanism}: a connection of ${this.#principal} cannot re-authenticate as ${token.principal}`;
    this.#principal = token.principal;
    this.#expiresAtMs = token.expiresAtMs;
    return undefined;
  }

  /** Milliseconds until the session expires (0 = no limit), for SaslAuthenticate's answer. */
  lifetimeMs(): number {
    return Number.isFinite(this.#expiresAtMs) ? Math.max(1, this.#expiresAtMs - this.now()) : 0;
  }
}
