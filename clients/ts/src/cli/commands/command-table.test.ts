import { findCommand } from '../args';
import { HELP } from '../help';
import { COMMANDS } from './index';

describe('the command table', () => {
  it('has one entry per name, each found by its words and listed in --help', () => {
    const names = COMMANDS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of COMMANDS) {
      const found = findCommand([...c.name.split(' '), 'arg']);
      expect('spec' in found && found.spec.name).toBe(c.name);
      for (const line of c.usage) expect(HELP).toContain(line);
    }
  });
});
