import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToken, parseTtl, readTokenKey, verifyToken } from './token';

const key = new Uint8Array(Buffer.from('k'.repeat(32)));
const otherKey = new Uint8Array(Buffer.from('o'.repeat(32)));

describe('bearer tokens', () => {
  it('round-trips the principal and expiry', async () => {
    const token = await createToken({ principal: 'User:alice', ttlSeconds: 60, key, nowMs: 1_000_000 });
    const verified = await verifyToken(token, key, 1_000_000);
    expect(verified).toEqual({ principal: 'User:alice', expiresAtMs: 1_060_000 });
  });

  it('refuses an expired token, another key, a tampered payload and alg none', async () => {
    const token = await createToken({ principal: 'User:alice', ttlSeconds: 60, key, nowMs: 0 });
    await expect(verifyToken(token, key, 61_000)).rejects.toThrow(/expired/);
    await expect(verifyToken(token, otherKey, 0)).rejects.toThrow(/not signed/);
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: 'tributary', sub: 'User:admin', exp: 1e10 })).toString(
      'base64url',
    );
    await expect(verifyToken(`${h}.${forged}.${s}`, key, 0)).rejects.toThrow();
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    await expect(verifyToken(`${none}.${forged}.`, key, 0)).rejects.toThrow();
    await expect(verifyToken('garbage', key, 0)).rejects.toThrow();
  });

  it('refuses to sign for a malformed principal or ttl', async () => {
    await expect(createToken({ principal: 'alice', ttlSeconds: 60, key })).rejects.toThrow(/User:alice/);
    await expect(createToken({ principal: 'User:alice', ttlSeconds: 0, key })).rejects.toThrow(/ttl/);
  });

  it('parses durations', () => {
    expect(parseTtl('1h')).toBe(3600);
    expect(parseTtl('30m')).toBe(1800);
    expect(parseTtl('90')).toBe(90);
    expect(parseTtl('7d')).toBe(604800);
    expect(() => parseTtl('1y')).toThrow(/duration/);
  });

  it('reads a key file and refuses a short one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'token-key-'));
    try {
      writeFileSync(join(dir, 'key'), `${'a'.repeat(64)}\n`);
      expect(readTokenKey(join(dir, 'key')).length).toBe(64);
      writeFileSync(join(dir, 'short'), 'abc');
      expect(() => readTokenKey(join(dir, 'short'))).toThrow(/at least 32/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
