/** `tributary topics ...`: the table entries. */
import { topicsAlter, topicsCreate, topicsDelete, topicsDescribe, topicsList } from '../admin-commands';
import { type Common, configs, int, one, opt, type ParsedFlags, UsageError } from '../flags';
import { defineCommand } from './command-spec';

const SECTION = 'Topics';

const parseTopicsCreate = (p: ParsedFlags) => ({
  kind: 'topics-create' as const,
  topic: one(
    p.positionals,
    'topic name',
    'tributary topics create NAME --partitions N --replication-factor R',
  ),
  ...opt('partitions', int('partitions', p.str('partitions'), 1)),
  ...opt('replicationFactor', int('replication-factor', p.str('replication-factor'), 1)),
  configs: configs(p.list('config')),
  ifNotExists: p.bool('if-not-exists'),
});

/** The arguments of `topicsCreate`. */
export type TopicsCreateArgs = Common & ReturnType<typeof parseTopicsCreate>;

export const topicsCreateCommand = defineCommand({
  name: 'topics create',
  section: SECTION,
  usage: [
    'topics create NAME [--partitions N] [--replication-factor R] [--config k=v ...] [--if-not-exists]',
  ],
  flags: {
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    config: { type: 'string', multiple: true },
    'if-not-exists': { type: 'boolean' },
  },
  parse: parseTopicsCreate,
  run: (t, c, io) => topicsCreate(t, c, io),
});

const parseTopicsList = () => ({ kind: 'topics-list' as const });

/** The arguments of `topicsList`. */
export type TopicsListArgs = Common & ReturnType<typeof parseTopicsList>;

export const topicsListCommand = defineCommand({
  name: 'topics list',
  section: SECTION,
  usage: ['topics list'],
  flags: {},
  parse: parseTopicsList,
  run: (t, c, io) => topicsList(t, c, io),
});

const parseTopicsDescribe = (p: ParsedFlags) => ({
  kind: 'topics-describe' as const,
  ...opt('topic', p.positionals[0]),
});

/** The arguments of `topicsDescribe`. */
export type TopicsDescribeArgs = Common & ReturnType<typeof parseTopicsDescribe>;

export const topicsDescribeCommand = defineCommand({
  name: 'topics describe',
  section: SECTION,
  usage: ['topics describe [NAME]'],
  summary: 'partition, leader, replicas, ISR, earliest and latest offsets',
  flags: {},
  parse: parseTopicsDescribe,
  run: (t, c, io) => topicsDescribe(t, c, io),
});

const parseTopicsDelete = (p: ParsedFlags) => ({
  kind: 'topics-delete' as const,
  topic: one(p.positionals, 'topic name', 'tributary topics delete NAME'),
});

/** The arguments of `topicsDelete`. */
export type TopicsDeleteArgs = Common & ReturnType<typeof parseTopicsDelete>;

export const topicsDeleteCommand = defineCommand({
  name: 'topics delete',
  section: SECTION,
  usage: ['topics delete NAME'],
  flags: {},
  parse: parseTopicsDelete,
  run: (t, c, io) => topicsDelete(t, c, io),
});

const parseTopicsAlter = (p: ParsedFlags) => {
  const partitions = int('partitions', p.str('partitions'), 1);
  const cmd = {
    kind: 'topics-alter' as const,
    topic: one(p.positionals, 'topic name', 'tributary topics alter NAME --partitions N | --config k=v'),
    ...opt('partitions', partitions),
    configs: configs(p.list('config')),
    deleteConfigs: p.list('delete-config') ?? [],
  };
  if (partitions === undefined && Object.keys(cmd.configs).length === 0 && cmd.deleteConfigs.length === 0) {
    throw new UsageError('nothing to alter: give --partitions N, --config k=v or --delete-config k');
  }
  return cmd;
};

/** The arguments of `topicsAlter`. */
export type TopicsAlterArgs = Common & ReturnType<typeof parseTopicsAlter>;

export const topicsAlterCommand = defineCommand({
  name: 'topics alter',
  section: SECTION,
  usage: ['topics alter NAME [--partitions N] [--config k=v ...] [--delete-config k ...]'],
  flags: {
    partitions: { type: 'string' },
    config: { type: 'string', multiple: true },
    'delete-config': { type: 'string', multiple: true },
  },
  parse: parseTopicsAlter,
  run: (t, c, io) => topicsAlter(t, c, io),
});
