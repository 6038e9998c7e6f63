import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { experimental } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** PEM files of one TLS identity and the CA bundle that verifies peers. */
export interface TlsFiles {
  /** CA bundle (PEM) that verifies the peer; absent: no CA from this source. */
  readonly caFile?: string;
  /** Certificate chain (PEM) this side presents; with `keyFile`. */
  readonly certFile?: string;
  /** Private key (PEM) of `certFile`. */
  readonly keyFile?: string;
}

/** What a set of TLS files holds once read and checked. */
interface Loaded {
  ca?: Buffer;
  identity?: { certificate: Buffer; privateKey: Buffer };
}

/** Thrown when a TLS file is missing, unreadable or does not match its partner. */
export class TlsFileError extends Error {
  override readonly name = 'TlsFileError';
}

/**
 * TLS files that are read once at construction (so a wrong path or a key that does not belong
 * to its certificate stops start-up with a message naming the file) and then polled every
 * `reloadIntervalMs` while anyone listens. A change is published to grpc-js — which applies it
 * to new connections through `setSecureContext` on servers and a fresh secure context per
 * connection on channels — only once the new certificate parses and matches the new key. A
 * half-written rotation (certificate replaced, key not yet) keeps the previous pair, so
 * cert-manager or a Kubernetes Secret can rotate files under a running process without one
 * refused connection. Existing connections keep the certificate they were made with.
 *
 * grpc-js's own FileWatcherCertificateProvider publishes whatever it reads, including a
 * mismatched pair, after which a server drops every new connection until the next read.
 */
export class CertificateFiles implements experimental.CertificateProvider {
  readonly #files: TlsFiles;
  readonly #intervalMs: number;
  readonly #onReload: (event: { changed: string[]; error?: string }) => void;
  #loaded: Loaded;
  #raw: string;
  #timer: NodeJS.Timeout | undefined;
  readonly #caListeners = new Set<CaListener>();
  readonly #identityListeners = new Set<IdentityListener>();

  constructor(
    files: TlsFiles,
    options: {
      /** How often the files are read again while listened to. @default 1000 */
      reloadIntervalMs?: number;
      /** Told after each reload that changed something, or found the new files unusable. */
      onReload?: (event: { changed: string[]; error?: string }) => void;
    } = {},
  ) {
    if ((files.certFile === undefined) !== (files.keyFile === undefined)) {
      throw new TlsFileError('a TLS certificate file and its key file go together: give both or neither');
    }
    this.#files = files;
    this.#intervalMs = options.reloadIntervalMs ?? 1000;
    this.#onReload = options.onReload ?? (() => {});
    const { loaded, raw } = readAndCheck(files);
    this.#loaded = loaded;
    this.#raw = raw;
  }

  /** The files this provider reads. */
  get files(): TlsFiles {
    return this.#files;
  }

  /** The CA bundle and identity as last read successfully. */
  current(): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
    return {
      ...(this.#loaded.ca ? { ca: this.#loaded.ca } : {}),
      ...(this.#loaded.identity
        ? { cert: this.#loaded.identity.certificate, key: this.#loaded.identity.privateKey }
        : {}),
    };
  }

  /** Reads the files now and publishes them if they changed and are usable; see the class note. */
  reload(): void {
    let next: { loaded: Loaded; raw: string };
    try {
      next = readAndCheck(this.#files);
    } catch (err) {
      this.#onReload({ changed: [], error: (err as Error).message });
      return;
    }
    if (next.raw === this.#raw) return;
    const changed = [];
    if (!sameBytes(next.loaded.ca, this.#loaded.ca)) changed.push('ca');
    if (!sameBytes(next.loaded.identity?.certificate, this.#loaded.identity?.certificate))
      changed.push('cert');
    if (!sameBytes(next.loaded.identity?.privateKey, this.#loaded.identity?.privateKey)) changed.push('key');
    this.#loaded = next.loaded;
    this.#raw = next.raw;
    for (const l of this.#caListeners) l(this.#loaded.ca ? { caCertificate: this.#loaded.ca } : null);
    for (const l of this.#identityListeners) l(this.#loaded.identity ?? null);
    this.#onReload({ changed });
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    this.#watch();
    const ca = this.#loaded.ca;
    process.nextTick(() => listener(ca ? { caCertificate: ca } : null));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
    this.#unwatchIfIdle();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    this.#watch();
    const identity = this.#loaded.identity;
    process.nextTick(() => listener(identity ?? null));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
    this.#unwatchIfIdle();
  }

  #watch(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.reload(), this.#intervalMs);
    // Polling never keeps a process alive; what listens (a server, a channel) does that.
    this.#timer.unref();
  }

  #unwatchIfIdle(): void {
    if (this.#caListeners.size + this.#identityListeners.size > 0 || !this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsFileError(`cannot read the TLS ${what} file ${path}: ${(err as Error).message}`);
  }
}

/** Reads the files and checks that each parses and that the key belongs to the certificate. */
function readAndCheck(files: TlsFiles): { loaded: Loaded; raw: string } {
  const loaded: Loaded = {};
  if (files.caFile !== undefined) {
    const ca = read(files.caFile, 'CA');
    try {
      new X509Certificate(ca);
    } catch (err) {
      throw new TlsFileError(
        `the TLS CA file ${files.caFile} holds no PEM certificate: ${(err as Error).message}`,
      );
    }
    loaded.ca = ca;
  }
  if (files.certFile !== undefined && files.keyFile !== undefined) {
    const certificate = read(files.certFile, 'certificate');
    const privateKey = read(files.keyFile, 'key');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(certificate);
    } catch (err) {
      throw new TlsFileError(
        `the TLS certificate file ${files.certFile} holds no PEM certificate: ${(err as Error).message}`,
      );
    }
    let matches: boolean;
    try {
      matches = cert.checkPrivateKey(createPrivateKey(privateKey));
    } catch (err) {
      throw new TlsFileError(
        `the TLS key file ${files.keyFile} holds no PEM private key: ${(err as Error).message}`,
      );
    }
    if (!matches) {
      throw new TlsFileError(
        `the TLS key file ${files.keyFile} does not belong to the certificate in ${files.certFile}`,
      );
    }
    loaded.identity = { certificate, privateKey };
  }
  const raw = [loaded.ca, loaded.identity?.certificate, loaded.identity?.privateKey]
    .map((b) => b?.toString('base64') ?? '')
    .join('|');
  return { loaded, raw };
}
