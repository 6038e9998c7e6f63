import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { CertificateFiles, type TlsFiles } from './certificate-files';

/**
 * How a client channel secures its connections: absent means plaintext. `caFile` verifies the
 * server (absent: Node's public roots); `certFile`/`keyFile` present a client certificate, for a
 * listener with mutual TLS. Files are re-read while the channel lives (see CertificateFiles), so
 * a rotated client certificate or CA bundle is used by the next connection.
 */
export interface ClientTlsOptions extends TlsFiles {
  /** How often the files are read again. @default 1000 */
  readonly reloadIntervalMs?: number;
  /**
   * The name every server's certificate must carry, checked instead of the host dialed: for
   * servers reached by addresses their certificates cannot name (Kubernetes pod IPs).
   * @default the host of each address
   */
  readonly serverName?: string;
  /** Told when the files changed or the changed files were unusable (the old ones stay in use). */
  readonly onReload?: (event: { changed: string[]; error?: string }) => void;
}

/**
 * Channel credentials for `createClient(…, { credentials })`: plaintext without `tls`, otherwise
 * TLS from the given files. Make one per process or per client and share it: grpc-js shares a
 * connection between clients only when their credentials are the same object.
 */
export function createChannelCredentials(tls: ClientTlsOptions | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  const files = new CertificateFiles(tls, {
    ...(tls.reloadIntervalMs === undefined ? {} : { reloadIntervalMs: tls.reloadIntervalMs }),
    ...(tls.onReload === undefined ? {} : { onReload: tls.onReload }),
  });
  const serverName = tls.serverName;
  const verify =
    serverName === undefined
      ? {}
      : {
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            checkServerIdentity(serverName, cert),
        };
  if (tls.caFile === undefined) {
    // grpc-js watches only a CA from a provider; with the public roots the files are read once.
    const { cert, key } = files.current();
    return grpc.credentials.createSsl(null, key ?? null, cert ?? null, verify);
  }
  return grpc.experimental.createCertificateProviderChannelCredentials(
    files,
    tls.certFile === undefined ? null : files,
    verify,
  );
}
