import { execFileSync } from 'node:child_process';
import { parseCommand } from './args';
import { bashCompletion, zshCompletion } from './completion';

/** What bash completes for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const script = `${bashCompletion()}
COMP_WORDS=(tributary ${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length}
_tributary_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
}

describe('tributary completion', () => {
  it('completes command words from the table', () => {
    expect(complete('to')).toEqual(['topics']);
    expect(complete('topics', 'c')).toEqual(['create']);
    expect(complete('groups', '')).toEqual(expect.arrayContaining(['describe', 'list', 'reset-offsets']));
    expect(complete('completion', '')).toEqual(['bash', 'zsh']);
  });

  it('completes the flags of the command typed so far, and the common ones', () => {
    expect(complete('topics', 'create', 'orders', '--part')).toEqual(['--partitions']);
    expect(complete('produce', 'orders', '--key-')).toEqual(['--key-separator']);
    expect(complete('consume', 'orders', '--boot')).toEqual(['--bootstrap', '--bootstrap-server']);
  });

  it('zsh loads the bash script through bashcompinit', () => {
    expect(zshCompletion()).toMatch(/^#compdef tributary\n/);
    expect(zshCompletion()).toContain('bashcompinit');
  });

  it('takes bash or zsh and nothing else', () => {
    expect(parseCommand(['completion', 'zsh'])).toMatchObject({ kind: 'completion', shell: 'zsh' });
    expect(() => parseCommand(['completion', 'fish'])).toThrow(/completion bash\|zsh/);
  });
});
