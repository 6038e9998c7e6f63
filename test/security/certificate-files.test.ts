import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateFiles, TlsFileError } from '@tributary/proto';
import { CertificateAuthority, waitFor } from '@tributary/test-kit';

/**
 * Issue 20, rotation: what a process does when its TLS files change under it. A certificate
 * replaced before its key (a rotation half done) is not published — the previous pair stays in
 * use, so no new connection is refused — and the pair is published once the key follows.
 */
describe('CertificateFiles', () => {
  let dir: string;
  let ca: CertificateAuthority;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-certfiles-'));
    ca = CertificateAuthority.create(join(dir, 'ca'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses at start a key that does not belong to the certificate, and unreadable files, naming them', () => {
    const a = ca.issue('a');
    const b = ca.issue('b');
    expect(() => new CertificateFiles({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(
      new TlsFileError(`the TLS key file ${b.keyFile} does not belong to the certificate in ${a.certFile}`),
    );
    expect(() => new CertificateFiles({ caFile: join(dir, 'missing.crt') })).toThrow(
      /cannot read the TLS CA file/,
    );
    writeFileSync(join(dir, 'junk.crt'), 'not a certificate');
    expect(() => new CertificateFiles({ caFile: join(dir, 'junk.crt') })).toThrow(/holds no PEM certificate/);
  });

  it('keeps the previous pair while the certificate and key do not match, and publishes the new pair once they do', async () => {
    const live = ca.issue('svc', { basename: 'live' });
    const events: { changed: string[]; error?: string }[] = [];
    const files = new CertificateFiles(
      { caFile: ca.caFile, ...live },
      { reloadIntervalMs: 50, onReload: (e) => events.push(e) },
    );
    const published: Buffer[] = [];
    const listener = (update: { certificate: Buffer } | null) => {
      if (update) published.push(update.certificate);
    };
    files.addIdentityCertificateListener(listener);
    await waitFor(() => published.length === 1, { timeoutMs: 2000, description: 'the first pair' });
    const first = published[0]!;

    const next = ca.issue('svc', { basename: 'next' });
    copyFileSync(next.certFile, live.certFile); // the certificate first, the key not yet
    await waitFor(() => events.some((e) => e.error !== undefined), {
      timeoutMs: 2000,
      description: 'a refused reload',
    });
    expect(events.find((e) => e.error)!.error).toMatch(/does not belong to the certificate/);
    expect(published).toHaveLength(1);
    expect(files.current().cert!.equals(first)).toBe(true);

    copyFileSync(next.keyFile, live.keyFile);
    await waitFor(() => published.length === 2, { timeoutMs: 2000, description: 'the new pair published' });
    expect(published[1]!.equals(first)).toBe(false);
    expect(events.at(-1)).toEqual({ changed: ['cert', 'key'] });
    files.removeIdentityCertificateListener(listener);
  });
});
