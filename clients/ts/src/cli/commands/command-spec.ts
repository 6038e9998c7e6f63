/**
 * One entry of the CLI's command table: everything about a command in one place (its name, the
 * help section and usage lines, its flags, how its arguments parse, how it runs). The parser,
 * `--help` and (later) shell completion are all generated from the table.
 */
import type { Tributary } from '../../tributary';
import type { FlagSpec, ParsedFlags } from '../flags';
import type { MainIO } from '../main-io';

export interface CommandSpec<A extends { kind: string }> {
  /** The words that name it: `topics create`, `produce`. */
  readonly name: string;
  /** The heading it is listed under in `--help`. */
  readonly section: string;
  /** Usage lines for `--help` (without "tributary "), the first one the synopsis. */
  readonly usage: readonly string[];
  /** What it does, in a few words, shown beside or below the usage. */
  readonly summary?: string;
  /** Its own flags (besides --bootstrap, --json and --help). */
  readonly flags: FlagSpec;
  /** Turns parsed flags into the command's arguments; throws UsageError on bad usage. */
  parse(p: ParsedFlags): A;
  /** Runs it. */
  run(t: Tributary, args: A & { bootstrap: string[]; json: boolean }, io: MainIO): Promise<unknown>;
}

/** Declares a table entry (infers its argument type from `parse`). */
export function defineCommand<A extends { kind: string }>(spec: CommandSpec<A>): CommandSpec<A> {
  return spec;
}
