import { LocalCluster, waitFor } from '@tributary/test-kit';
import { tributary } from './lib/run-cli';

/**
 * Issue 8: the `tributary` command as a new user types it, against real processes: create a
 * topic, produce from stdin, consume it back, describe the group's lag, reset offsets.
 * Runs the built bin (clients/ts/bin/tributary.js -> dist), like `npx tributary`.
 */

jest.setTimeout(90_000);

describe('tributary CLI', () => {
  let cluster: LocalCluster;
  let bootstrap: string;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 1, controllers: 1, coordinators: 1, leaseTtlSeconds: 3 });
    bootstrap = cluster.bootstrap.join(',');
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('fails with one line and a non-zero status when no cluster answers, or on bad usage', async () => {
    const down = await tributary(['topics', 'list', '--bootstrap', '127.0.0.1:1']);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/BROKER_NOT_AVAILABLE.*--bootstrap/);
    const usage = await tributary(['consume']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing topic/);
  });

  it('create, produce from stdin, consume back, describe group lag, reset offsets', async () => {
    const topic = `cli-${Date.now().toString(36)}`;
    const b = ['--bootstrap', bootstrap];

    const created = await tributary([
      'topics',
      'create',
      topic,
      '--partitions',
      '3',
      '--replication-factor',
      '1',
      ...b,
    ]);
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(new RegExp(`Created topic ${topic}`));

    const listed = await tributary(['topics', 'list', '--json', ...b]);
    expect(JSON.parse(listed.stdout)).toContain(topic);

    const lines = Array.from({ length: 30 }, (_, i) => `user-${i % 5}:event ${i}`).join('\n');
    const produced = await tributary(
      ['produce', topic, '--key-separator', ':', '--acks', 'all', ...b],
      `${lines}\n`,
    );
    expect(produced).toMatchObject({ code: 0 });
    expect(produced.stderr).toMatch(/Produced 30 records/);

    const described = await tributary(['topics', 'describe', topic, '--json', ...b]);
    const topicInfo = JSON.parse(described.stdout) as { partitions: Array<{ latestOffset: number }> };
    expect(topicInfo.partitions.reduce((s, p) => s + p.latestOffset, 0)).toBe(30);

    const consumed = await tributary([
      'consume',
      topic,
      '--group',
      'cli-readers',
      '--from-beginning',
      '--max-messages',
      '30',
      '--format',
      'json',
      ...b,
    ]);
    expect(consumed).toMatchObject({ code: 0 });
    const records = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: string; partition: number; offset: number });
    expect(records).toHaveLength(30);
    expect(records.map((r) => r.value).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `event ${i}`).sort(),
    );
    // One key, one partition, in order.
    for (let k = 0; k < 5; k++) {
      const mine = records.filter((r) => r.key === `user-${k}`);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => Number(r.value.split(' ')[1]))).toEqual(
        [...mine.map((r) => Number(r.value.split(' ')[1]))].sort((x, y) => x - y),
      );
    }

    // Lag is 0 after consuming everything; 4 more records make it 4.
    const lagOf = async () => {
      const r = await tributary(['groups', 'describe', 'cli-readers', '--json', ...b]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { totalLag: number; partitions: Array<{ committedOffset: number }> };
    };
    await waitFor(async () => (await lagOf()).totalLag === 0, { timeoutMs: 10_000, description: 'lag 0' });
    await tributary(['produce', topic, ...b], 'a\nb\nc\nd\n');
    await waitFor(async () => (await lagOf()).totalLag === 4, { timeoutMs: 10_000, description: 'lag 4' });
    const table = await tributary(['groups', 'describe', 'cli-readers', ...b]);
    expect(table.stdout).toMatch(/TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG/);

    // Reset: a dry run changes nothing; --execute moves the group back to the start.
    const dry = await tributary([
      'groups',
      'reset-offsets',
      'cli-readers',
      '--topic',
      topic,
      '--to-earliest',
      ...b,
    ]);
    expect(dry.stdout).toMatch(/Dry run/);
    expect((await lagOf()).totalLag).toBe(4);
    const exec = await tributary([
      'groups',
      'reset-offsets',
      'cli-readers',
      '--topic',
      topic,
      '--to-earliest',
      '--execute',
      ...b,
    ]);
    expect(exec.code).toBe(0);
    expect((await lagOf()).totalLag).toBe(34);

    const cluster = await tributary(['cluster', 'describe', '--json', ...b]);
    expect(JSON.parse(cluster.stdout)).toMatchObject({ brokers: [expect.objectContaining({ id: 0 })] });

    const consumeTimeout = await tributary(['consume', topic, '--timeout-ms', '1500', ...b]);
    expect(consumeTimeout).toMatchObject({ code: 0, stdout: '' });

    // One partition from an offset; then from a timestamp (everything is newer than 2020).
    const byPartition = [0, 1, 2].map((p) =>
      records.filter((r) => r.partition === p).sort((x, y) => x.offset - y.offset),
    );
    const busiest = byPartition.reduce((a, c) => (c.length > a.length ? c : a));
    expect(busiest.length).toBeGreaterThan(1);
    const fromOffset = await tributary([
      'consume',
      topic,
      '--partition',
      String(busiest[0]!.partition),
      '--offset',
      '1',
      '--max-messages',
      String(busiest.length - 1),
      ...b,
    ]);
    expect(fromOffset.stdout.trim().split('\n')).toEqual(busiest.slice(1).map((r) => r.value));
    const fromTime = await tributary([
      'consume',
      topic,
      '--from-timestamp',
      '2020-01-01T00:00:00Z',
      '--max-messages',
      '34',
      '--json',
      ...b,
    ]);
    expect(fromTime.stdout.trim().split('\n')).toHaveLength(34);

    // Alter: more partitions, a config override; delete the group and the topic.
    expect(
      (
        await tributary([
          'topics',
          'alter',
          topic,
          '--partitions',
          '4',
          '--config',
          'retention.ms=3600000',
          ...b,
        ])
      ).code,
    ).toBe(0);
    const altered = JSON.parse((await tributary(['topics', 'describe', topic, '--json', ...b])).stdout);
    expect(altered.partitions).toHaveLength(4);
    expect(altered.configs).toMatchObject({ 'retention.ms': '3600000' });
    expect((await tributary(['groups', 'delete', 'cli-readers', ...b])).code).toBe(0);
    const groups = JSON.parse((await tributary(['groups', 'list', '--json', ...b])).stdout) as Array<{
      groupId: string;
    }>;
    expect(groups.map((g) => g.groupId)).not.toContain('cli-readers');
    expect((await tributary(['topics', 'delete', topic, ...b])).code).toBe(0);
    const missing = await tributary(['topics', 'describe', topic, ...b]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION/);

    // Every compression codec and acks setting round-trips.
    const codecs = `${topic}-codecs`;
    expect((await tributary(['topics', 'create', codecs, '--partitions', '1', ...b])).code).toBe(0);
    for (const [compression, acks] of [
      ['gzip', '1'],
      ['lz4', 'all'],
      ['zstd', '0'],
      ['none', 'all'],
    ] as const) {
      const r = await tributary(
        ['produce', codecs, '--compression', compression, '--acks', acks, ...b],
        `${compression}-1\n${compression}-2\n`,
      );
      expect(r).toMatchObject({ code: 0 });
    }
    const all = await tributary(['consume', codecs, '--from-beginning', '--max-messages', '8', ...b]);
    expect(all.stdout.trim().split('\n').sort()).toEqual(
      ['gzip-1', 'gzip-2', 'lz4-1', 'lz4-2', 'zstd-1', 'zstd-2', 'none-1', 'none-2'].sort(),
    );
  });
});
