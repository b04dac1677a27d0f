import { describe, expect, it } from 'vitest';
import { stripControls } from '../../../src/guards/strip-controls.ts';

describe('stripControls', () => {
  it.each([
    ['SGR colours', 'a\u001b[31mred\u001b[0m b', 'ared b', 2],
    ['cursor movement and erase', 'x\u001b[2K\u001b[1A\u001b[?25ly', 'xy', 3],
    ['OSC 8 hyperlink with BEL', '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007', 'click', 2],
    ['OSC title with ST', '\u001b]0;pwned\u001b\\text', 'text', 1],
    ['C1 CSI', 'a\u009b31mb', 'ab', 1],
    [
      'bidi override (Trojan Source)',
      'if (isAdmin) {\u202e } \u2066// check\u2069',
      'if (isAdmin) { } // check',
      3,
    ],
    ['lone ESC', 'a\u001bb', 'a', 1],
  ])('%s', (_label, input, output, removed) => {
    expect(stripControls(input)).toEqual({ text: output, removed });
  });

  it.each(['plain text\twith tabs\nand lines', 'مرحبا \u200f RLM marks stay', 'emoji 👩‍💻 keep their joiners'])(
    'leaves %s alone',
    (text) => {
      expect(stripControls(text)).toBeUndefined();
    },
  );
});
