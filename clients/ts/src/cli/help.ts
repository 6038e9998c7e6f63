/** `tributary --help` text, generated from the command table. */
import type { CommandSpec } from './commands/command-spec';
import { COMMANDS } from './commands/index';

/** Usage lines shorter than this get their summary on the same line. */
const SUMMARY_COLUMN = 34;

function entryLines(c: CommandSpec<{ kind: string }>): string[] {
  const lines = c.usage.map((u) => `  ${u}`);
  if (c.summary === undefined) return lines;
  const last = lines.length - 1;
  if (lines.length === 1 && lines[last]!.length < SUMMARY_COLUMN) {
    lines[last] = `${lines[last]!.padEnd(SUMMARY_COLUMN)}${c.summary}`;
  } else lines.push(`${' '.repeat(SUMMARY_COLUMN)}${c.summary}`);
  return lines;
}

function sections(): string {
  const out: string[] = [];
  let section: string | undefined;
  for (const c of COMMANDS as readonly CommandSpec<{ kind: string }>[]) {
    if (c.section !== section) {
      if (section !== undefined) out.push('');
      out.push(c.section);
      section = c.section;
    }
    out.push(...entryLines(c));
  }
  return out.join('\n');
}

export const HELP = `tributary: the command line of Tributary, a distributed commit log.

Usage: tributary <command> [options]      (every command takes --bootstrap HOST:PORT[,HOST:PORT],
                                           default $TRIBUTARY_BOOTSTRAP or 127.0.0.1:9092,
                                           --json for scripts, and TLS: --tls-ca-file FILE
                                           [--tls-cert-file FILE --tls-key-file FILE] or
                                           $TRIBUTARY_TLS_CA_FILE/_CERT_FILE/_KEY_FILE; --tls
                                           alone trusts the public roots; --tls-server-name
                                           NAME checks that name in the servers' certificates
                                           instead of their hosts; and a bearer token:
                                           --token TOKEN or $TRIBUTARY_TOKEN)

${sections()}

Shell
  completion bash|zsh               print a completion script: source <(tributary completion bash)

Exit status: 0 on success, 1 on an error (one line on stderr says why and what to do), 2 on bad usage.`;
