import { WardenError } from '../errors.ts';
import { EXIT } from './exit-codes.ts';
import { LEARN_HELP } from './help.ts';
import { say } from './output.ts';
import { runCommand } from './run.ts';

/**
 * `mcp-warden learn [run options] --out PROFILE -- COMMAND`: `run --learn PROFILE` (src/learn). Only
 * the options before `--` are looked at here; the server command is passed through untouched.
 */
export async function learnCommand(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split < 0 ? [...argv] : argv.slice(0, split);
  const rest = split < 0 ? [] : argv.slice(split);
  if (own.includes('-h') || own.includes('--help') || argv.length === 0) {
    say(LEARN_HELP);
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (own.some((arg) => arg === '--learn' || arg.startsWith('--learn='))) {
    throw new WardenError('usage', 'mcp-warden learn takes --out FILE, not --learn', {
      hint: 'mcp-warden learn --out PROFILE.json -- COMMAND (or mcp-warden run --learn PROFILE.json -- COMMAND)',
    });
  }
  const options: string[] = [];
  let out: string | undefined;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i] as string;
    if (arg === '--out') {
      out = own[i + 1];
      if (out === undefined || out.startsWith('-')) {
        throw new WardenError('usage', '--out needs a file name', {
          hint: 'e.g. --out ./server.profile.json',
        });
      }
      i++;
    } else if (arg.startsWith('--out=')) {
      out = arg.slice('--out='.length);
    } else {
      options.push(arg);
    }
  }
  if (out === undefined) {
    throw new WardenError('usage', 'mcp-warden learn needs --out FILE: where to write the learned profile', {
      hint: 'mcp-warden learn --root /data --out ./server.profile.json -- COMMAND',
    });
  }
  if (split < 0) {
    throw new WardenError('usage', 'no server command given', {
      hint: 'put the server command after --, e.g. mcp-warden learn --out p.json -- npx -y @modelcontextprotocol/server-memory',
    });
  }
  return runCommand([...options, '--learn', out, ...rest]);
}
