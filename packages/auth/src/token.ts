/**
 * Bearer tokens: compact JWS (JWT) signed with HMAC-SHA-256 (`alg: HS256`) under one shared key
 * that every service and `tributary auth token create` read from a key file. Claims: `iss`
 * `tributary`, `sub` the principal (`User:alice`), `iat`, `exp`. A token travels in gRPC metadata
 * as `authorization: Bearer <token>`. Only HS256 is accepted on verification, so a token cannot
 * pick a weaker algorithm (`none`) or another key type. This module is the one place that
 * builds or reads the format (docs/security.md).
 */
import { readFileSync } from 'node:fs';
import { jwtVerify, SignJWT } from 'jose';
import { principalProblem } from './principal';

/** The `iss` claim of every token, checked on verification. */
export const TOKEN_ISSUER = 'tributary';
/** A key shorter than this is refused: HS256 wants at least 256 bits. */
export const MIN_KEY_BYTES = 32;

/** The gRPC metadata key that carries a bearer token. */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

/** Why a token was refused: missing, malformed, badly signed, expired or for a bad principal. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

/**
 * Reads an HMAC key file: its bytes with surrounding whitespace trimmed (so `openssl rand -hex 32
 * > key` works), at least 32 bytes.
 */
export function readTokenKey(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read token key file ${path}: ${(err as Error).message}`);
  }
  const key = Buffer.from(raw.toString('latin1').trim(), 'latin1');
  if (key.length < MIN_KEY_BYTES)
    throw new Error(`token key file ${path} holds ${key.length} bytes; it needs at least ${MIN_KEY_BYTES}`);
  return new Uint8Array(key);
}

/** A signed token for `principal`, valid for `ttlSeconds` from `nowMs`. */
export async function createToken(options: {
  principal: string;
  ttlSeconds: number;
  key: Uint8Array;
  nowMs?: number;
}): Promise<string> {
  const problem = principalProblem(options.principal);
  if (problem !== undefined) throw new TokenError(problem);
  if (!Number.isSafeInteger(options.ttlSeconds) || options.ttlSeconds <= 0)
    throw new TokenError(`ttl must be a positive number of seconds, not ${options.ttlSeconds}`);
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(options.principal)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .sign(options.key);
}

/** What a valid token says. */
export interface VerifiedToken {
  readonly principal: string;
  /** Milliseconds since the epoch when the token stops being valid. */
  readonly expiresAtMs: number;
}

/** Verifies signature, issuer, expiry and principal, or throws TokenError saying which failed. */
export async function verifyToken(
  token: string,
  key: Uint8Array,
  nowMs = Date.now(),
): Promise<VerifiedToken> {
  let payload: { sub?: string; exp?: number };
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: TOKEN_ISSUER,
      requiredClaims: ['sub', 'exp'],
      currentDate: new Date(nowMs),
    }));
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw new TokenError('the token has expired');
    if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
      throw new TokenError('the token is not signed with this cluster’s key');
    throw new TokenError(`the token is not valid: ${(err as Error).message}`);
  }
  const principal = payload.sub ?? '';
  const problem = principalProblem(principal);
  if (problem !== undefined) throw new TokenError(problem);
  return { principal, expiresAtMs: (payload.exp ?? 0) * 1000 };
}

/** `1h`, `30m`, `45s`, `7d` or a bare number of seconds → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new TokenError(`"${text}" is not a duration (e.g. 30m, 1h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds <= 0 || !Number.isSafeInteger(seconds))
    throw new TokenError(`"${text}" is not a positive duration`);
  return seconds;
}
