import { LocalCluster, waitFor } from '@tributary/test-kit';
import { Tributary } from '../clients/ts/src/tributary';
import { tributary as runCli } from './lib/run-cli';

/**
 * Issue 12 item 2: clients ride through a leader failover and a dead bootstrap broker within
 * their own timeout (refresh metadata, back off, retry), as Kafka's clients do within
 * default.api.timeout.ms. Run as a new user would: the built `tributary` command, started
 * right after kill -9 of the leader of an RF=3 topic, with the dead broker first in its
 * bootstrap list; and the admin, producer and consumer paths with a bootstrap address where
 * nothing listens listed first.
 */
const tributary = (args: string[], stdin = '') => runCli(args, stdin, 60_000);

const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `record-${from + i}`);

jest.setTimeout(180_000);

describe('clients through a leader failover and a dead bootstrap broker', () => {
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ brokers: 3, controllers: 1, coordinators: 0, leaseTtlSeconds: 5 });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it('a fresh consume --from-beginning and a producer started right after kill -9 of the leader finish', async () => {
    const b = ['--bootstrap', cluster.bootstrap.join(',')];
    const created = await tributary([
      'topics',
      'create',
      'failover',
      '--partitions',
      '1',
      '--replication-factor',
      '3',
      ...b,
    ]);
    expect(created).toMatchObject({ code: 0 });
    const first = await tributary(['produce', 'failover', ...b], `${lines(200).join('\n')}\n`);
    expect(first).toMatchObject({ code: 0 });

    const client = new Tributary({ bootstrap: cluster.bootstrap });
    let leader = -1;
    let isr: number[] = [];
    try {
      await waitFor(
        async () => {
          const [t] = await client.admin().describeTopics(['failover']);
          leader = t?.partitions[0]?.leader ?? -1;
          isr = t?.partitions[0]?.isr ?? [];
          return leader >= 0 && isr.length === 3;
        },
        { timeoutMs: 15_000, description: 'the partition to have a leader and a full ISR' },
      );
    } finally {
      await client.close();
    }
    const victim = cluster.brokers.find((n) => n.id === String(leader))!;
    victim.signal('SIGKILL');

    // The dead leader first in the list, as a user's bootstrap list would still name it.
    const bootstrap = [victim.address, ...cluster.bootstrap.filter((a) => a !== victim.address)];
    const dead = ['--bootstrap', bootstrap.join(',')];
    const started = Date.now();
    const [consumed, produced] = await Promise.all([
      tributary([
        'consume',
        'failover',
        '--from-beginning',
        '--max-messages',
        '200',
        '--timeout-ms',
        '30000',
        ...dead,
      ]),
      tributary(['produce', 'failover', ...dead], `${lines(100, 200).join('\n')}\n`),
    ]);
    const tookMs = Date.now() - started;
    console.log(`consume and produce through the failover of broker ${leader}: ${tookMs} ms`);
    expect(consumed.stderr).not.toMatch(/BROKER_NOT_AVAILABLE|LEADER_NOT_AVAILABLE/);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(lines(200));
    expect(produced.stderr.trim()).toBe('Produced 100 records to failover.');
    expect(produced.code).toBe(0);

    const all = await tributary([
      'consume',
      'failover',
      '--from-beginning',
      '--max-messages',
      '300',
      '--timeout-ms',
      '30000',
      ...dead,
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout.trim().split('\n')).toEqual(lines(300));
  });

  it('admin, producer and consumer work with a dead bootstrap broker listed first', async () => {
    // Nothing listens on port 1: every attempt there is refused.
    const live = cluster.brokers.filter((n) => n.process?.running).map((n) => n.address);
    const dead = ['--bootstrap', ['127.0.0.1:1', ...live].join(',')];
    const created = await tributary([
      'topics',
      'create',
      'dead-bootstrap',
      '--partitions',
      '3',
      '--replication-factor',
      '2',
      ...dead,
    ]);
    expect(created).toMatchObject({ code: 0 });
    const listed = await tributary(['topics', 'list', ...dead]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/dead-bootstrap/);
    const produced = await tributary(['produce', 'dead-bootstrap', ...dead], `${lines(50).join('\n')}\n`);
    expect(produced).toMatchObject({ code: 0, stderr: 'Produced 50 records to dead-bootstrap.\n' });
    const consumed = await tributary([
      'consume',
      'dead-bootstrap',
      '--from-beginning',
      '--max-messages',
      '50',
      '--timeout-ms',
      '30000',
      ...dead,
    ]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(lines(50).sort());
  });
});
