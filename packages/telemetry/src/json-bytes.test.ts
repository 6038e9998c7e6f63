import { JsonBytes } from './json-bytes';

describe('JsonBytes', () => {
  it('writes strings as JSON.stringify does, growing from a small buffer', () => {
    const strings = [
      '',
      'send orders',
      'x\u00e9\n"q"\\',
      '\u0000\u001f\u007f',
      '\ud83d\ude00 and a lone \ud800',
      'a'.repeat(65),
      `${'b'.repeat(100)}"`,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ];
    const w = new JsonBytes(4);
    w.raw('[');
    strings.forEach((s, i) => {
      if (i > 0) w.raw(',');
      w.string(s);
    });
    w.raw(']');
    expect(w.bytes().toString('utf8')).toBe(JSON.stringify(strings));
  });

  it('writes numbers as String does', () => {
    const numbers = [0, -0, 7, -7, 10, 99, 100, 123456789, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, 0.5];
    for (const n of numbers) expect(new JsonBytes(1).number(n).bytes().toString()).toBe(String(n));
  });

  it('pads digits to a width', () => {
    expect(new JsonBytes(1).digits(5, 9).bytes().toString()).toBe('000000005');
    expect(new JsonBytes(1).digits(349_000_001, 9).bytes().toString()).toBe('349000001');
    expect(new JsonBytes(1).digits(1_796_122_956, 1).bytes().toString()).toBe('1796122956');
  });
});
