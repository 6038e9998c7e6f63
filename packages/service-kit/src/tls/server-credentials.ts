import type { TlsOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { CertificateFiles, type TlsFiles } from '@tributary/proto';

/**
 * Whether a TLS listener asks clients for a certificate (Kafka's `ssl.client.auth`): `none`
 * never asks; `requested` asks and verifies one if sent, but lets clients without one in;
 * `required` refuses a client without a certificate signed by the CA (mutual TLS).
 */
export type ClientAuth = 'none' | 'requested' | 'required';

export interface ServerTlsOptions extends TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientAuth: ClientAuth;
  /** How often the files are read again. @default 1000 */
  readonly reloadIntervalMs?: number;
  readonly onReload?: (event: { changed: string[]; error?: string }) => void;
}

/**
 * The same files for a `node:tls` server (the broker's Kafka listener): its options now, and
 * `apply` called with fresh context options (for `server.setSecureContext`) after each change
 * CertificateFiles publishes. `stop()` ends the watch.
 */
export function watchServerTls(
  tls: ServerTlsOptions,
  apply: (context: { cert: Buffer; key: Buffer; ca?: Buffer }) => void,
): { options: TlsOptions; stop(): void } {
  const files = new CertificateFiles(tls, {
    ...(tls.reloadIntervalMs === undefined ? {} : { reloadIntervalMs: tls.reloadIntervalMs }),
  });
  const context = () => {
    const { cert, key, ca } = files.current();
    return { cert: cert!, key: key!, ...(ca ? { ca } : {}) };
  };
  let first = true;
  const listener = () => {
    // The provider answers every new listener once with what it holds: not a change.
    if (first) first = false;
    else apply(context());
  };
  files.addIdentityCertificateListener(listener);
  return {
    options: {
      ...context(),
      requestCert: tls.clientAuth !== 'none',
      rejectUnauthorized: tls.clientAuth === 'required',
    },
    stop: () => files.removeIdentityCertificateListener(listener),
  };
}

/**
 * Server credentials that follow the certificate, key and CA files: grpc-js calls
 * `setSecureContext` on its HTTP/2 listener for each change CertificateFiles publishes, so new
 * connections get the rotated certificate without a restart. Throws TlsFileError at once when a
 * file is unreadable or the key does not match the certificate.
 */
export function createServerCredentials(tls: ServerTlsOptions): grpc.ServerCredentials {
  if (tls.clientAuth !== 'none' && tls.caFile === undefined) {
    throw new Error(
      `client authentication "${tls.clientAuth}" needs a CA file to verify client certificates`,
    );
  }
  const files = new CertificateFiles(tls, {
    ...(tls.reloadIntervalMs === undefined ? {} : { reloadIntervalMs: tls.reloadIntervalMs }),
    ...(tls.onReload === undefined ? {} : { onReload: tls.onReload }),
  });
  // grpc-js 1.14 names this function's parameters (ca, identity, …) but hands them to a
  // constructor taking (identity, ca, …): the identity provider goes first. A CA provider makes
  // the server ask for client certificates; `required` refuses connections without one.
  return grpc.experimental.createCertificateProviderServerCredentials(
    files,
    tls.clientAuth === 'none' ? null : files,
    tls.clientAuth === 'required',
  ) as grpc.ServerCredentials;
}
