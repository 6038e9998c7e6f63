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

/** How the listener checks credentials: the service's one token verifier. */
export interface KafkaAuthentication {
  verifyToken(token: string): Promise<VerifiedToken>;
}

export class KafkaSession {
  #principal: string | undefined;
  /** When the SASL session ends (the token's expiry); Infinity for a certificate's principal. */
  #expiresAtMs = Number.POSITIVE_INFINITY;
  /** The mechanism SaslHandshake chose, waiting for SaslAuthenticate. */
  mechanism: string | undefined;
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
   * Records a successful SaslAuthenticate. A SASL re-authentication must keep the principal
   * (Kafka's rule); a SASL login over a certificate-authenticated connection replaces the
   * certificate's principal (Kafka's SASL_SSL).
   */
  authenticated(token: VerifiedToken): void {
    const sasl = Number.isFinite(this.#expiresAtMs);
    if (sasl && this.#principal !== undefined && this.#principal !== token.principal)
      throw new Error(`a connection of ${this.#principal} cannot re-authenticate as ${token.principal}`);
    this.#principal = token.principal;
    this.#expiresAtMs = token.expiresAtMs;
  }

  /** Milliseconds until the session expires (0 = no limit), for SaslAuthenticate's answer. */
  lifetimeMs(): number {
    return Number.isFinite(this.#expiresAtMs) ? Math.max(1, this.#expiresAtMs - this.now()) : 0;
  }
}
