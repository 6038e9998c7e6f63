/** `tributary partitions reassign`: the table entry (Kafka's `kafka-reassign-partitions`). */

import { type Common, int, opt, type ParsedFlags, UsageError } from '../flags';
import { partitionsReassign } from '../reassign-command';
import { defineCommand } from './command-spec';

const USAGE = [
  'partitions reassign --generate --brokers 0,1,2,3 [--topics T,...]',
  'partitions reassign --generate --decommission N[,N] [--topics T,...]',
  'partitions reassign --execute --plan FILE [--throttle BYTES_PER_SEC]',
  'partitions reassign --verify --plan FILE',
  'partitions reassign --cancel --plan FILE',
];

/** `1,2,3` (repeatable) as broker ids. */
function brokerList(name: string, values: string[] | undefined): number[] | undefined {
  if (values === undefined) return undefined;
  const ids = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .map((v) => int(name, v, 0)!);
  if (ids.length === 0) throw new UsageError(`--${name} lists no broker id`);
  return ids;
}

const parsePartitionsReassign = (p: ParsedFlags) => {
  const modes = (['generate', 'execute', 'verify', 'cancel'] as const).filter((m) => p.bool(m));
  if (modes.length !== 1) {
    throw new UsageError(
      `give exactly one of --generate, --execute, --verify, --cancel:\n  tributary ${USAGE.join('\n  tributary ')}`,
    );
  }
  const mode = modes[0]!;
  const plan = p.str('plan');
  const brokers = brokerList('brokers', p.list('brokers'));
  const decommission = brokerList('decommission', p.list('decommission'));
  const topics = (p.list('topics') ?? []).flatMap((t) => t.split(',')).filter((t) => t !== '');
  const throttle = int('throttle', p.str('throttle'), 0);
  if (mode === 'generate') {
    if ((brokers === undefined) === (decommission === undefined))
      throw new UsageError('--generate takes --brokers LIST (spread) or --decommission N (move off N)');
  } else if (plan === undefined) throw new UsageError(`--${mode} needs --plan FILE`);
  if (throttle !== undefined && mode !== 'execute') throw new UsageError('--throttle goes with --execute');
  return {
    kind: 'partitions-reassign' as const,
    mode,
    topics,
    ...opt('plan', plan),
    ...opt('brokers', brokers),
    ...opt('decommission', decommission),
    ...opt('throttle', throttle),
  };
};

/** The arguments of `partitionsReassign`. */
export type PartitionsReassignArgs = Common & ReturnType<typeof parsePartitionsReassign>;

export const partitionsReassignCommand = defineCommand({
  name: 'partitions reassign',
  section: 'Partitions',
  usage: USAGE,
  summary: 'move replicas between brokers: generate a plan, execute it, verify it, cancel it',
  flags: {
    generate: { type: 'boolean' },
    execute: { type: 'boolean' },
    verify: { type: 'boolean' },
    cancel: { type: 'boolean' },
    plan: { type: 'string' },
    brokers: { type: 'string', multiple: true },
    decommission: { type: 'string', multiple: true },
    topics: { type: 'string', multiple: true },
    throttle: { type: 'string' },
  },
  parse: parsePartitionsReassign,
  run: (t, c, io) => partitionsReassign(t, c, io),
});
