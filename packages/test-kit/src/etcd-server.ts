import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateAuthority } from './certificate-authority';
import { ManagedProcess } from './child-process';
import { freePort } from './ports';
import { waitFor } from './wait-for';

/** A real etcd server on loopback, for a test suite or the local dev cluster. */
export interface EtcdServer {
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly process: ManagedProcess;
  /**
   * With TLS (an `https://` endpoint): the CA that verifies etcd, and the client certificate to
   * present when etcd requires one — what a service's `etcd.tls.*` settings name.
   */
  readonly tls?: { caFile: string; certFile?: string; keyFile?: string };
  /** Stops etcd and, when the data dir was temporary, removes it. */
  stop(): Promise<void>;
}

/** The etcd binary: `ETCD_BIN`, else `etcd` on PATH. Throws with the install command when missing. */
export function findEtcd(): string {
  const candidate = process.env['ETCD_BIN'] ?? 'etcd';
  try {
    execFileSync(candidate, ['--version'], { stdio: 'ignore' });
    return candidate;
  } catch {
    throw new Error(
      'etcd is not installed. On Debian/Ubuntu run: sudo apt-get install -y etcd-server ' +
        '(or set ETCD_BIN to an etcd 3.4+ binary)',
    );
  }
}

/** Whether the etcd member at `endpoint` answers /health with true (it has a leader). */
export function etcdHealthy(endpoint: string, tls?: EtcdServer['tls']): Promise<boolean> {
  return new Promise((resolve) => {
    const secure = endpoint.startsWith('https:');
    const tlsOptions = tls
      ? {
          ca: readFileSync(tls.caFile),
          ...(tls.certFile && tls.keyFile
            ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
            : {}),
        }
      : {};
    const get = secure ? httpsRequest : request;
    const req = get(`${endpoint}/health`, { timeout: 1000, ...tlsOptions }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('true')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Starts etcd on 127.0.0.1: a throwaway one on free ports with a temporary data dir by default,
 * or on given ports and dir (the dev cluster keeps its data between runs).
 */
export async function startEtcd(
  options: {
    clientPort?: number;
    peerPort?: number;
    dataDir?: string;
    echo?: boolean;
    /**
     * Keep etcd out of the terminal's process group (`npm run dev`): Ctrl-C then reaches the
     * services, which revoke their leases, while etcd keeps serving until its owner stops it
     * last. Otherwise etcd dies with them and their registrations outlive them by a TTL.
     */
    ownProcessGroup?: boolean;
    /**
     * Serve clients over TLS with a certificate from this CA (etcd's --cert-file, --key-file,
     * --trusted-ca-file); with `clientCertAuth`, etcd also requires client certificates
     * (--client-cert-auth) and `tls` names one for the services.
     */
    tls?: { ca: CertificateAuthority; clientCertAuth?: boolean };
  } = {},
): Promise<EtcdServer> {
  const binary = findEtcd();
  const clientPort = options.clientPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-etcd-'));
  const endpoint = `${options.tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  let tls: EtcdServer['tls'];
  const tlsFlags: string[] = [];
  if (options.tls) {
    const server = options.tls.ca.issue('etcd');
    tlsFlags.push(`--cert-file=${server.certFile}`, `--key-file=${server.keyFile}`);
    tlsFlags.push(`--trusted-ca-file=${options.tls.ca.caFile}`);
    tls = { caFile: options.tls.ca.caFile };
    if (options.tls.clientCertAuth) {
      tlsFlags.push('--client-cert-auth');
      tls = { ...tls, ...options.tls.ca.issue('etcd-client') };
    }
  }
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = new ManagedProcess(
    'etcd',
    binary,
    [
      '--name=tributary-dev',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=tributary-dev=${peer}`,
      '--log-level=error',
      '--logger=zap',
      ...tlsFlags,
    ],
    {
      env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env['ETCD_UNSUPPORTED_ARCH'] ?? '' },
      ownProcessGroup: options.ownProcessGroup ?? false,
    },
  );
  try {
    await waitFor(
      async () => {
        if (!etcd.running) throw new Error(`etcd exited: ${etcd.stderr.slice(-500)}`);
        return etcdHealthy(endpoint, tls);
      },
      { timeoutMs: 15_000, intervalMs: 50, description: `etcd on ${endpoint}` },
    );
  } catch (err) {
    await etcd.stop(1000);
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    clientPort,
    dataDir,
    process: etcd,
    ...(tls ? { tls } : {}),
    async stop() {
      await etcd.stop(5000);
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
