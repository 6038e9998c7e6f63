import { InvalidConfigError } from '@tributary/errors';
import { envName, loadConfig, renderSettingsMarkdown, setting } from './config';

const settings = {
  'broker.id': setting.int({ doc: 'id', min: 0 }),
  port: setting.port({ doc: 'port', default: 9092 }),
  'etcd.endpoints': setting.list({ doc: 'etcd', default: ['http://127.0.0.1:2379'] }),
  verbose: setting.boolean({ doc: 'verbose', default: false }),
  level: setting.oneOf(['info', 'debug'] as const, { doc: 'level', default: 'info' }),
};

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(settings, { argv, env });

describe('loadConfig', () => {
  it('reads flags in both forms, then the environment, then defaults', () => {
    const config = load(['--broker.id', '3', '--port=9999', '--verbose'], { TRIBUTARY_LEVEL: 'debug' });
    expect(config).toEqual({
      'broker.id': 3,
      port: 9999,
      'etcd.endpoints': ['http://127.0.0.1:2379'],
      verbose: true,
      level: 'debug',
    });
  });

  it('lets flags win over the environment', () => {
    expect(load(['--broker.id', '1'], { TRIBUTARY_BROKER_ID: '2' })['broker.id']).toBe(1);
  });

  it('splits lists', () => {
    expect(
      load(['--broker.id', '1', '--etcd.endpoints', 'http://a:1, http://b:2'])['etcd.endpoints'],
    ).toEqual(['http://a:1', 'http://b:2']);
  });

  it.each([
    [['--broker.id', '1', '--port', 'abc'], /port .*"abc" is not an integer/],
    [['--broker.id', '1', '--port', '70000'], /port .*not a TCP port/],
    [['--broker.id', '-1'], /broker\.id .*must be at least 0/],
    [['--broker.id', '1', '--level', 'loud'], /level .*"loud" is not one of info, debug/],
    [['--broker.id', '1', '--bogus', '1'], /--bogus: unknown setting/],
    [['--broker.id'], /broker\.id .*without a value/],
    [[], /broker\.id .*is required/],
    [['stray'], /stray: unexpected argument/],
  ])('refuses %j naming the setting', (argv, message) => {
    expect(() => load(argv)).toThrow(InvalidConfigError);
    expect(() => load(argv)).toThrow(message);
  });

  it('refuses unknown TRIBUTARY_ variables but ignores the rest of the environment', () => {
    expect(() => load(['--broker.id', '1'], { TRIBUTARY_BOGUS: '1' })).toThrow(
      /TRIBUTARY_BOGUS: unknown setting/,
    );
    expect(load(['--broker.id', '1'], { HOME: '/root' })['broker.id']).toBe(1);
  });

  it('names environment variables after the key and renders a reference table', () => {
    expect(envName('lease.ttl.seconds')).toBe('TRIBUTARY_LEASE_TTL_SECONDS');
    const markdown = renderSettingsMarkdown('Broker', settings);
    expect(markdown).toContain('| `broker.id` | `TRIBUTARY_BROKER_ID` | int | *(required)* | id |');
    expect(markdown).toContain('| `port` | `TRIBUTARY_PORT` | port | `9092` | port |');
  });
});
