/** `tributary groups ...`: the table entries. */
import { groupsDelete, groupsDescribe, groupsList, groupsResetOffsets } from '../admin-commands';
import { type Common, int, one, opt, type ParsedFlags, timestamp, UsageError } from '../flags';
import { defineCommand } from './command-spec';

const SECTION = 'Groups';

const parseGroupsList = () => ({ kind: 'groups-list' as const });

/** The arguments of `groupsList`. */
export type GroupsListArgs = Common & ReturnType<typeof parseGroupsList>;

export const groupsListCommand = defineCommand({
  name: 'groups list',
  section: SECTION,
  usage: ['groups list'],
  flags: {},
  parse: parseGroupsList,
  run: (t, c, io) => groupsList(t, c, io),
});

const parseGroupsDescribe = (p: ParsedFlags) => ({
  kind: 'groups-describe' as const,
  group: one(p.positionals, 'group id', 'tributary groups describe GROUP'),
});

/** The arguments of `groupsDescribe`. */
export type GroupsDescribeArgs = Common & ReturnType<typeof parseGroupsDescribe>;

export const groupsDescribeCommand = defineCommand({
  name: 'groups describe',
  section: SECTION,
  usage: ['groups describe G'],
  summary: 'members, assignment, committed offset, log end offset, lag',
  flags: {},
  parse: parseGroupsDescribe,
  run: (t, c, io) => groupsDescribe(t, c, io),
});

/** Where `groups reset-offsets` moves the committed offsets. */
export type ResetTarget =
  | { to: 'earliest' }
  | { to: 'latest' }
  | { to: 'offset'; offset: number }
  | { to: 'timestamp'; timestamp: number }
  | { to: 'shift'; by: number };

const RESET_USAGE =
  'tributary groups reset-offsets GROUP --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO | --shift-by N) [--execute]';

const parseGroupsResetOffsets = (p: ParsedFlags) => {
  const group = one(p.positionals, 'group id', RESET_USAGE);
  const topic = p.str('topic');
  if (topic === undefined) throw new UsageError(`missing --topic: ${RESET_USAGE}`);
  const specs: ResetTarget[] = [];
  if (p.bool('to-earliest')) specs.push({ to: 'earliest' });
  if (p.bool('to-latest')) specs.push({ to: 'latest' });
  const toOffset = int('to-offset', p.str('to-offset'), 0);
  if (toOffset !== undefined) specs.push({ to: 'offset', offset: toOffset });
  const toDatetime = timestamp('to-datetime', p.str('to-datetime'));
  if (toDatetime !== undefined) specs.push({ to: 'timestamp', timestamp: toDatetime });
  const shift = int('shift-by', p.str('shift-by'));
  if (shift !== undefined) specs.push({ to: 'shift', by: shift });
  if (specs.length !== 1) throw new UsageError(`give exactly one reset target: ${RESET_USAGE}`);
  if (p.bool('execute') && p.bool('dry-run'))
    throw new UsageError('--execute and --dry-run exclude each other');
  const partitions = p
    .str('partitions')
    ?.split(',')
    .map((x) => int('partitions', x.trim(), 0)!);
  return {
    kind: 'groups-reset-offsets' as const,
    group,
    topic,
    ...opt('partitions', partitions),
    reset: specs[0]!,
    execute: p.bool('execute'),
  };
};

/** The arguments of `groupsResetOffsets`. */
export type GroupsResetOffsetsArgs = Common & ReturnType<typeof parseGroupsResetOffsets>;

export const groupsResetOffsetsCommand = defineCommand({
  name: 'groups reset-offsets',
  section: SECTION,
  usage: [
    'groups reset-offsets G --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO',
    '              | --shift-by N) [--partitions 0,1] [--execute]',
  ],
  summary: 'a dry run without --execute',
  flags: {
    topic: { type: 'string' },
    partitions: { type: 'string' },
    'to-earliest': { type: 'boolean' },
    'to-latest': { type: 'boolean' },
    'to-offset': { type: 'string' },
    'to-datetime': { type: 'string' },
    'shift-by': { type: 'string' },
    execute: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  parse: parseGroupsResetOffsets,
  run: (t, c, io) => groupsResetOffsets(t, c, io),
});

const parseGroupsDelete = (p: ParsedFlags) => ({
  kind: 'groups-delete' as const,
  group: one(p.positionals, 'group id', 'tributary groups delete GROUP'),
});

/** The arguments of `groupsDelete`. */
export type GroupsDeleteArgs = Common & ReturnType<typeof parseGroupsDelete>;

export const groupsDeleteCommand = defineCommand({
  name: 'groups delete',
  section: SECTION,
  usage: ['groups delete G'],
  flags: {},
  parse: parseGroupsDelete,
  run: (t, c, io) => groupsDelete(t, c, io),
});
