import { HelpRequested, parseCommand, parseInvocation, UsageError } from './args';

describe('parseCommand', () => {
  it('takes the default bootstrap list (TRIBUTARY_BOOTSTRAP) when no --bootstrap is given', () => {
    const env = ['x:1', 'y:2'];
    expect(parseInvocation(['topics', 'list'], false, env).command.bootstrap).toEqual(['x:1', 'y:2']);
    expect(parseInvocation(['topics', 'list', '--bootstrap', 'a:1'], false, env).command.bootstrap).toEqual([
      'a:1',
    ]);
  });

  it('defaults --bootstrap to the local dev cluster and accepts Kafka spellings', () => {
    expect(parseCommand(['topics', 'list'])).toEqual({
      kind: 'topics-list',
      bootstrap: ['127.0.0.1:9092'],
      json: false,
    });
    expect(parseCommand(['topics', 'list', '--bootstrap-server', 'a:1,b:2', '--json'])).toMatchObject({
      bootstrap: ['a:1', 'b:2'],
      json: true,
    });
    expect(parseCommand(['topics', 'list', '--bootstrap', 'a:1', '--bootstrap', 'b:2']).bootstrap).toEqual([
      'a:1',
      'b:2',
    ]);
  });

  it('parses topics create with configs', () => {
    expect(
      parseCommand([
        'topics',
        'create',
        'orders',
        '--partitions',
        '6',
        '--replication-factor',
        '3',
        '--config',
        'retention.ms=1000',
        '--config',
        'cleanup.policy=delete',
      ]),
    ).toEqual({
      kind: 'topics-create',
      bootstrap: ['127.0.0.1:9092'],
      json: false,
      topic: 'orders',
      partitions: 6,
      replicationFactor: 3,
      configs: { 'retention.ms': '1000', 'cleanup.policy': 'delete' },
      ifNotExists: false,
    });
    expect(() => parseCommand(['topics', 'create', 'orders', '--partitions', 'six'])).toThrow(
      /--partitions must be an integer/,
    );
    expect(() => parseCommand(['topics', 'create', 'orders', '--partitions', '0'])).toThrow(/>= 1/);
    expect(() => parseCommand(['topics', 'create', 'orders', '--config', 'nokey'])).toThrow(/key=value/);
    expect(() => parseCommand(['topics', 'create'])).toThrow(/missing topic name/);
  });

  it('parses produce flags', () => {
    expect(
      parseCommand(['produce', 'orders', '--key-separator', ':', '--acks', '1', '--compression', 'zstd']),
    ).toMatchObject({
      kind: 'produce',
      topic: 'orders',
      keySeparator: ':',
      acks: 1,
      compression: 'zstd',
    });
    expect(parseCommand(['produce', 'orders'])).toMatchObject({ acks: -1, compression: 'none' });
    expect(parseCommand(['produce', 'orders', '--acks', 'all'])).toMatchObject({ acks: -1 });
    expect(() => parseCommand(['produce', 'orders', '--acks', '2'])).toThrow(/--acks must be 0, 1 or all/);
    expect(() => parseCommand(['produce', 'orders', '--compression', 'snappy'])).toThrow(/--compression/);
  });

  it('parses consume start positions and rejects conflicting ones', () => {
    expect(
      parseCommand(['consume', 'orders', '--group', 'g', '--from-beginning', '--max-messages', '10']),
    ).toMatchObject({
      kind: 'consume',
      group: 'g',
      fromBeginning: true,
      maxMessages: 10,
      format: 'value',
    });
    expect(parseCommand(['consume', 'orders', '--offset', '5', '--partition', '2'])).toMatchObject({
      offset: 5,
      partition: 2,
    });
    expect(parseCommand(['consume', 'orders', '--from-timestamp', '2026-01-01T00:00:00Z'])).toMatchObject({
      fromTimestamp: Date.parse('2026-01-01T00:00:00Z'),
    });
    expect(parseCommand(['consume', 'orders', '--json'])).toMatchObject({ format: 'json' });
    expect(() => parseCommand(['consume', 'orders', '--offset', '5'])).toThrow(/--offset needs --partition/);
    expect(() =>
      parseCommand(['consume', 'orders', '--offset', '5', '--partition', '0', '--from-beginning']),
    ).toThrow(/at most one/);
    expect(() => parseCommand(['consume', 'orders', '--format', 'xml'])).toThrow(/--format/);
    expect(() => parseCommand(['consume', 'orders', '--from-timestamp', 'yesterday'])).toThrow(/ISO/);
  });

  it('parses groups reset-offsets as a dry run unless --execute', () => {
    expect(parseCommand(['groups', 'reset-offsets', 'g', '--topic', 't', '--to-offset', '7'])).toMatchObject({
      kind: 'groups-reset-offsets',
      group: 'g',
      topic: 't',
      reset: { to: 'offset', offset: 7 },
      execute: false,
    });
    expect(
      parseCommand([
        'groups',
        'reset-offsets',
        'g',
        '--topic',
        't',
        '--shift-by',
        '-3',
        '--execute',
        '--partitions',
        '0,2',
      ]),
    ).toMatchObject({
      reset: { to: 'shift', by: -3 },
      execute: true,
      partitions: [0, 2],
    });
    expect(() => parseCommand(['groups', 'reset-offsets', 'g', '--topic', 't'])).toThrow(
      /exactly one reset target/,
    );
    expect(() => parseCommand(['groups', 'reset-offsets', 'g', '--to-earliest'])).toThrow(/missing --topic/);
  });

  it('parses perf commands; progress only on a terminal without --json', () => {
    expect(
      parseCommand(
        ['perf', 'produce', 't', '--num-records', '1000', '--record-size', '100', '--throughput', '-1'],
        true,
      ),
    ).toMatchObject({
      kind: 'perf-produce',
      numRecords: 1000,
      recordSize: 100,
      throughput: -1,
      progress: true,
    });
    expect(parseCommand(['perf', 'consume', 't', '--messages', '5', '--json'], true)).toMatchObject({
      messages: 5,
      progress: false,
    });
    expect(() => parseCommand(['perf', 'produce', 't', '--record-size', '100'])).toThrow(/--num-records/);
  });

  it('reports unknown commands and flags as usage errors, and --help as help', () => {
    expect(() => parseCommand(['topics', 'frobnicate'])).toThrow(UsageError);
    expect(() => parseCommand(['topics', 'list', '--nope'])).toThrow(/Unknown option '--nope'/);
    expect(() => parseCommand(['topics', 'list', '--help'])).toThrow(HelpRequested);
    expect(parseCommand([])).toMatchObject({ kind: 'help' });
  });
});
