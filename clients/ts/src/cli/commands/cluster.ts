/** `tributary cluster describe`: the table entry. */
import { clusterDescribe } from '../admin-commands';
import type { Common } from '../flags';
import { defineCommand } from './command-spec';

const parseClusterDescribe = () => ({ kind: 'cluster-describe' as const });

/** The arguments of `clusterDescribe`. */
export type ClusterDescribeArgs = Common & ReturnType<typeof parseClusterDescribe>;

export const clusterDescribeCommand = defineCommand({
  name: 'cluster describe',
  section: 'Cluster',
  usage: ['cluster describe'],
  summary: 'controller, brokers, coordinators, under-replicated partitions',
  flags: {},
  parse: parseClusterDescribe,
  run: (t, c, io) => clusterDescribe(t, c, io),
});
