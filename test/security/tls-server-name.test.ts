import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChannelCredentials } from '@tributary/proto';
import { createLogger, createServerCredentials, startGrpcServer } from '@tributary/service-kit';
import { CertificateAuthority, checkHealth } from '@tributary/test-kit';

/**
 * Issue 20, TLS to services known by addresses their certificates cannot name (Kubernetes pod
 * IPs): with `serverName` (`tls.server.name`, `--tls-server-name`) a channel checks that name in
 * the server's certificate instead of the host it dialed; without it, the dialed host must match.
 */
describe('TLS server name', () => {
  let dir: string;
  let ca: CertificateAuthority;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-servername-'));
    ca = CertificateAuthority.create(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies the configured name instead of the dialed IP, and refuses a name the certificate lacks', async () => {
    // A certificate for a service name only: no IP address in it.
    const identity = ca.issue('controller', { hosts: ['controller.tributary.svc'] });
    const server = await startGrpcServer({
      host: '127.0.0.1',
      port: 0,
      portSetting: 'port',
      services: [],
      reflection: {},
      logger: createLogger({ service: 'test', instance: 'tls', level: 'silent' }),
      credentials: createServerCredentials({ caFile: ca.caFile, ...identity, clientAuth: 'none' }),
    });
    server.setServing(true);
    const address = `127.0.0.1:${server.port}`;
    try {
      const byName = createChannelCredentials({ caFile: ca.caFile, serverName: 'controller.tributary.svc' });
      expect(await checkHealth(address, '', 3000, byName)).toBe('SERVING');
      const byHost = createChannelCredentials({ caFile: ca.caFile });
      expect(await checkHealth(address, '', 3000, byHost)).toMatch(/^UNREACHABLE/);
      const wrongName = createChannelCredentials({ caFile: ca.caFile, serverName: 'broker.tributary.svc' });
      expect(await checkHealth(address, '', 3000, wrongName)).toMatch(/^UNREACHABLE/);
    } finally {
      await server.stop(1000);
    }
  });
});
