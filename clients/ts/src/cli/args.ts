/**
 * Command-line parsing for `tributary`: Kafka-tool-like flags, parsed per command of the table
 * (commands/index.ts) into a typed {@link Command}. Bad usage throws UsageError, which the CLI
 * prints as one line and exits 2.
 */
import { DEFAULT_BOOTSTRAP } from '../options';
import type { CommandSpec } from './commands/command-spec';
import { COMMANDS, type CommandArgs } from './commands/index';
import { type Common, parseFlags, UsageError } from './flags';

/** The shells `tributary completion` writes a script for. */
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

export { type Acks, type Common, type Compression, HelpRequested, UsageError } from './flags';

export type Command = Common &
  (
    | { kind: 'help'; topic?: string }
    | { kind: 'version' }
    | { kind: 'completion'; shell: Shell }
    | CommandArgs
  );

const BY_NAME = new Map<string, CommandSpec<CommandArgs>>(
  COMMANDS.map((c) => [c.name, c as unknown as CommandSpec<CommandArgs>]),
);

/** The table entry named by the first one or two words of `argv`, and the rest of `argv`. */
export function findCommand(
  argv: readonly string[],
): { spec: CommandSpec<CommandArgs>; args: readonly string[] } | { name: string } {
  const [first = '', second] = argv;
  const two = BY_NAME.get(`${first} ${second ?? ''}`);
  if (two !== undefined) return { spec: two, args: argv.slice(2) };
  const single = BY_NAME.get(first);
  if (single !== undefined) return { spec: single, args: argv.slice(1) };
  return { name: `${first} ${second ?? ''}`.trim() };
}

/** A parsed command line: the command's arguments and, for a table command, how to run it. */
export interface Invocation {
  readonly command: Command;
  readonly spec?: CommandSpec<CommandArgs>;
}

/**
 * Parses `argv` (without `node` and the script) into a Command and the entry that runs it;
 * `defaultBootstrap` is the bootstrap list when the command line gives none.
 */
export function parseInvocation(
  argv: readonly string[],
  isTTY = false,
  defaultBootstrap: readonly string[] = [DEFAULT_BOOTSTRAP],
): Invocation {
  const [first, second] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const command: Command = {
      kind: 'help',
      bootstrap: [DEFAULT_BOOTSTRAP],
      json: false,
      ...(second === undefined ? {} : { topic: second }),
    };
    return { command };
  }
  if (first === '--version' || first === 'version')
    return { command: { kind: 'version', bootstrap: [DEFAULT_BOOTSTRAP], json: false } };
  if (first === 'completion') {
    const shell = SHELLS.find((s) => s === second);
    if (shell === undefined || argv.length > 2)
      throw new UsageError(`usage: tributary completion ${SHELLS.join('|')}`);
    return { command: { kind: 'completion', shell, bootstrap: [...defaultBootstrap], json: false } };
  }
  const found = findCommand(argv);
  if (!('spec' in found)) throw new UsageError(`unknown command "${found.name}" (see: tributary --help)`);
  const p = parseFlags(found.spec.name, found.args, found.spec.flags, isTTY, defaultBootstrap);
  return { command: { ...p.common, ...found.spec.parse(p) }, spec: found.spec };
}

/** Parses `argv` (without `node` and the script) into a Command. */
export function parseCommand(argv: readonly string[], isTTY = false): Command {
  return parseInvocation(argv, isTTY).command;
}
