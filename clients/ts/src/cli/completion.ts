/**
 * `tributary completion bash|zsh`: shell completion scripts generated from the command table, so
 * a new command completes without touching this file. They complete command words (`topics`,
 * then `create`), then the flags of the command typed so far; topic and group names are not
 * completed (that would need a cluster on every Tab).
 *
 * Install: `source <(tributary completion bash)` in ~/.bashrc, or
 * `tributary completion zsh > "${fpath[1]}/_tributary"` for zsh.
 */

import { SHELLS, type Shell } from './args';
import type { CommandSpec } from './commands/command-spec';
import { COMMANDS } from './commands/index';
import { COMMON_FLAGS } from './flags';

/** Words that are not table commands but the CLI understands first. */
const BUILT_INS = ['help', 'completion', '--version', '--help'];

const flagWords = (spec: CommandSpec<{ kind: string }>): string =>
  [...Object.keys(spec.flags), ...Object.keys(COMMON_FLAGS)].map((f) => `--${f}`).join(' ');

/** A bash `case` arm: `pattern) words="...";;`. */
const arm = (pattern: string, words: string): string =>
  `    ${JSON.stringify(pattern)}) words=${JSON.stringify(words)};;`;

/** The bash completion script (also loaded by the zsh one through bashcompinit). */
export function bashCompletion(): string {
  const specs = COMMANDS as readonly CommandSpec<{ kind: string }>[];
  const firsts = [...new Set(specs.map((c) => c.name.split(' ')[0]!))];
  const seconds = new Map<string, string[]>();
  for (const c of specs) {
    const [first, second] = c.name.split(' ');
    if (second !== undefined) seconds.set(first!, [...(seconds.get(first!) ?? []), second]);
  }
  const oneWord = specs.filter((c) => !c.name.includes(' '));
  const twoWords = specs.filter((c) => c.name.includes(' '));
  return `# tributary completion for bash, generated from the CLI's command table.
_tributary_completions() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" first="\${COMP_WORDS[1]}" second="\${COMP_WORDS[2]}" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    words=${JSON.stringify([...firsts, ...BUILT_INS].join(' '))}
  elif [ "$COMP_CWORD" -eq 2 ] && [[ "$cur" != -* ]]; then
    case "$first" in
${[...seconds].map(([first, list]) => arm(first, list.join(' '))).join('\n')}
    "completion") words=${JSON.stringify(SHELLS.join(' '))};;
    esac
  fi
  if [ -z "$words" ] && [ "$COMP_CWORD" -ge 2 ]; then
    case "$first $second" in
${twoWords.map((c) => arm(c.name, flagWords(c))).join('\n')}
    *)
      case "$first" in
${oneWord.map((c) => `  ${arm(c.name, flagWords(c))}`).join('\n')}
      esac;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _tributary_completions tributary
`;
}

/** The zsh completion script: the bash one through zsh's bashcompinit. */
export function zshCompletion(): string {
  return `#compdef tributary
# tributary completion for zsh, generated from the CLI's command table.
autoload -U +X bashcompinit && bashcompinit
${bashCompletion()}`;
}

/** The script for `shell`. */
export function completionScript(shell: Shell): string {
  return shell === 'bash' ? bashCompletion() : zshCompletion();
}
