import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type EtcdServer, ManagedProcess, repoRoot, startEtcd } from '@tributary/test-kit';

/** Bad configuration stops start-up with a message naming the setting. */
describe('bad configuration', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  const run = async (service: string, args: string[], env: Record<string, string> = {}) => {
    const proc = new ManagedProcess(
      service,
      process.execPath,
      [join(repoRoot, 'services', service, 'dist', 'main.js'), ...args],
      {
        env: { PATH: process.env['PATH'] ?? '', ...env },
      },
    );
    const exit = await proc.waitForExit();
    return { code: exit.code, stderr: proc.stderr };
  };
  const base = () => ['--etcd.endpoints', etcd.endpoint, '--cluster.name', `bad-config-${Date.now()}`];

  it('a non-numeric port', async () => {
    const result = await run('broker', [...base(), '--broker.id', '1', '--port', 'abc']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid configuration port .*"abc" is not an integer/);
  });

  it('an unknown value of a setting with fixed choices', async () => {
    const result = await run('controller', [...base(), '--log.level', 'loud']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/log\.level.*"loud" is not one of/);
  });

  it('an unknown flag and an unknown TRIBUTARY_ variable', async () => {
    const flag = await run('group-coordinator', [...base(), '--no-such-setting', '1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--no-such-setting: unknown setting/);
    const env = await run('group-coordinator', base(), { TRIBUTARY_NO_SUCH_SETTING: '1' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/TRIBUTARY_NO_SUCH_SETTING: unknown setting/);
  });

  it('a value read from the environment is checked as well', async () => {
    const result = await run('broker', base(), { TRIBUTARY_BROKER_ID: 'seven' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/broker\.id .*TRIBUTARY_BROKER_ID.*"seven" is not an integer/);
  });

  it('a port already taken', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const result = await run('broker', [...base(), '--broker.id', '1', '--port', String(port)]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(`Port ${port} on 127.0.0.1 is already in use \\(setting port\\)`),
      );
    } finally {
      blocker.close();
    }
  });

  it('an etcd that does not answer', async () => {
    const result = await run('broker', [
      '--broker.id',
      '1',
      '--port',
      '0',
      '--etcd.endpoints',
      'http://127.0.0.1:1',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Cannot reach etcd at http:\/\/127\.0\.0\.1:1 \(setting etcd\.endpoints\)/);
  });
});
