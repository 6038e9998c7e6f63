import { type VerifiedToken, verifyToken } from '@tributary/auth';

/** Verified tokens are remembered (until they expire) so a check costs a Map lookup, not an HMAC. */
const MAX_CACHED_TOKENS = 10_000;

/**
 * The one place a service verifies bearer tokens, whichever door they come in by: gRPC metadata
 * (`authorization: Bearer`), or the Kafka listener's SASL/PLAIN password and SASL/OAUTHBEARER
 * token. Verification is `verifyToken` (HS256 under the cluster key); its successes are cached
 * until the token's `exp`, so a client that reconnects or calls often costs one HMAC per token.
 * Failures are not cached (they throw TokenError naming the reason).
 */
export class TokenVerifier {
  readonly #verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly key: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  /** The principal of a cached, unexpired token; undefined when it must be verified. */
  cached(token: string): VerifiedToken | undefined {
    const hit = this.#verified.get(token);
    if (hit === undefined) return undefined;
    if (hit.expiresAtMs > this.now()) return hit;
    this.#verified.delete(token);
    return undefined;
  }

  /** Verifies `token` (or answers from the cache); rejects with TokenError when it is not valid. */
  async verify(token: string): Promise<VerifiedToken> {
    const hit = this.cached(token);
    if (hit !== undefined) return hit;
    const result = await verifyToken(token, this.key, this.now());
    if (this.#verified.size >= MAX_CACHED_TOKENS) this.#verified.clear();
    this.#verified.set(token, result);
    return result;
  }
}
