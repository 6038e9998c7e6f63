import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess } from './child-process';
import { freePort } from './ports';
import { waitFor } from './wait-for';

/** A real etcd server on loopback, for a test suite or the local dev cluster. */
export interface EtcdServer {
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  readonly process: ManagedProcess;
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
export function etcdHealthy(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${endpoint}/health`, { timeout: 1000 }, (res) => {
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
  } = {},
): Promise<EtcdServer> {
  const binary = findEtcd();
  const clientPort = options.clientPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tributary-etcd-'));
  const endpoint = `http://127.0.0.1:${clientPort}`;
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
        return etcdHealthy(endpoint);
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
    async stop() {
      await etcd.stop(5000);
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
