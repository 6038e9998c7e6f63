import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate and its private key, as PEM files. */
export interface TlsIdentityFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** `openssl`, or an error with the command that installs it. */
function openssl(args: readonly string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT')
      throw new Error('openssl is not installed. On Debian/Ubuntu run: sudo apt-get install -y openssl');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
  }
}

/**
 * A new P-256 key in `keyFile` and a certificate for it in `certFile`, valid for a week, with
 * common name `commonName`: self-signed, or signed by a CA given in `extra` (-CA, -CAkey, -addext).
 */
function newCertificate(
  keyFile: string,
  certFile: string,
  commonName: string,
  extra: readonly string[] = [],
): void {
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '7',
    '-subj',
    `/CN=${commonName}`,
    ...extra,
  ]);
}

/**
 * A throwaway certificate authority in a directory, for the TLS of `npm run dev -- --tls` and of
 * tests: a P-256 CA valid for a week, and leaf certificates it signs for 127.0.0.1 and localhost
 * with both serverAuth and clientAuth, so one file pair serves a listener and that process's
 * links (mutual TLS). Made with the system's `openssl` (3.0+).
 */
export class CertificateAuthority {
  /** The CA certificate every side trusts (`tls.ca.file`). */
  readonly caFile: string;
  readonly #caKeyFile: string;
  #serial = 0;

  private constructor(readonly dir: string) {
    this.caFile = join(dir, 'ca.crt');
    this.#caKeyFile = join(dir, 'ca.key');
  }

  /** Creates a new CA in `dir` (made if missing); `name` becomes its common name. */
  static create(dir: string, name = 'Tributary throwaway CA'): CertificateAuthority {
    mkdirSync(dir, { recursive: true });
    const ca = new CertificateAuthority(dir);
    newCertificate(ca.#caKeyFile, ca.caFile, name);
    return ca;
  }

  /**
   * Issues a certificate with common name `commonName` (the principal a peer sees, e.g.
   * `broker` or `alice`) into `<dir>/<basename>.crt` and `.key`, or to the paths given. Each
   * file appears by rename, so a process polling the paths never reads half a file; the
   * certificate is renamed into place before its key, the order a rotation must tolerate.
   */
  issue(
    commonName: string,
    options: { basename?: string; files?: TlsIdentityFiles; hosts?: readonly string[] } = {},
  ): TlsIdentityFiles {
    const base = join(this.dir, options.basename ?? commonName);
    const files = options.files ?? { certFile: `${base}.crt`, keyFile: `${base}.key` };
    const stamp = `${process.pid}-${++this.#serial}`;
    const tmp = { certFile: `${files.certFile}.${stamp}.tmp`, keyFile: `${files.keyFile}.${stamp}.tmp` };
    const hosts = options.hosts ?? ['127.0.0.1', 'localhost'];
    const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    newCertificate(tmp.keyFile, tmp.certFile, commonName, [
      '-CA',
      this.caFile,
      '-CAkey',
      this.#caKeyFile,
      '-addext',
      `subjectAltName=${san}`,
      '-addext',
      'extendedKeyUsage=serverAuth,clientAuth',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    ]);
    renameSync(tmp.certFile, files.certFile);
    renameSync(tmp.keyFile, files.keyFile);
    return files;
  }
}
