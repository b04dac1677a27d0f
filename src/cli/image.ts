import { parseArgs } from 'node:util';
import { WardenError, errorMessage } from '../errors.ts';
import { buildSandboxImage } from '../sandboxes/registry.ts';
import { cacheDir } from '../util/cache-dir.ts';
import { EXIT } from './exit-codes.ts';
import { IMAGE_HELP } from './help.ts';
import { say, warn } from './output.ts';

/** `mcp-warden image build [--runtime node] [--force]`: the offline sandbox image for docker/gvisor. */
export async function imageCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    say(IMAGE_HELP);
    return EXIT.ok;
  }
  if (sub !== 'build') {
    throw new WardenError(
      'usage',
      sub === undefined ? 'missing subcommand' : `unknown image subcommand "${sub}"`,
      {
        hint: 'usage: mcp-warden image build [--runtime node] [--force]',
      },
    );
  }
  let values: { runtime?: string; force?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { runtime: { type: 'string', default: 'node' }, force: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    throw new WardenError('usage', errorMessage(error), {
      hint: 'usage: mcp-warden image build [--runtime node] [--force]',
    });
  }
  if (values.runtime !== 'node') {
    throw new WardenError('usage', `--runtime ${values.runtime}: only node images are built offline`, {
      hint: 'for python, build images/Dockerfile.python where a registry is reachable (see images/README.md)',
    });
  }
  const { tag, built } = await buildSandboxImage({
    cacheDir: cacheDir(),
    force: values.force === true,
    onProgress: (line) => warn(line),
  });
  say(built ? `built ${tag}` : `${tag} is already present (--force rebuilds it)`);
  return EXIT.ok;
}
