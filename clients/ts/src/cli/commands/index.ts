/**
 * The CLI's command table: one entry per command, in `--help` order. To add a command, write
 * its entry (commands/command-spec.ts) and list it here; parsing, `--help` and the `Command`
 * type follow from the table.
 */
import { clusterDescribeCommand } from './cluster';
import {
  groupsDeleteCommand,
  groupsDescribeCommand,
  groupsListCommand,
  groupsResetOffsetsCommand,
} from './groups';
import { partitionsReassignCommand } from './partitions';
import { perfConsumeCommand, perfProduceCommand } from './perf';
import { consumeCommand, produceCommand } from './records';
import { aclsAddCommand, aclsListCommand, aclsRemoveCommand, authTokenCreateCommand } from './security';
import {
  topicsAlterCommand,
  topicsCreateCommand,
  topicsDeleteCommand,
  topicsDescribeCommand,
  topicsListCommand,
} from './topics';

export const COMMANDS = [
  topicsCreateCommand,
  topicsListCommand,
  topicsDescribeCommand,
  topicsDeleteCommand,
  topicsAlterCommand,
  partitionsReassignCommand,
  produceCommand,
  consumeCommand,
  groupsListCommand,
  groupsDescribeCommand,
  groupsResetOffsetsCommand,
  groupsDeleteCommand,
  clusterDescribeCommand,
  aclsAddCommand,
  aclsListCommand,
  aclsRemoveCommand,
  authTokenCreateCommand,
  perfProduceCommand,
  perfConsumeCommand,
] as const;

/** The arguments of one command of the table. */
export type CommandArgs = ReturnType<(typeof COMMANDS)[number]['parse']>;
