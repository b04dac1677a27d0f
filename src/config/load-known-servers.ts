import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WardenError, errorMessage } from '../errors.ts';
import { formatZodError } from './format-zod-error.ts';
import { type KnownNetworkServers, KnownNetworkServersSchema } from './known-servers-schema.ts';
import { PROFILES_DIR, parseJsonText } from './profile-source.ts';

/** The reviewed table shipped with the warden. */
export const KNOWN_NETWORK_SERVERS_FILE = path.join(PROFILES_DIR, 'known-network-servers.json');

/**
 * Read and validate the reviewed table of servers that need the network. Throws a config error (exit 2)
 * naming the file and the exact entry when it does not validate: a table that does not check out is
 * never half-used.
 */
export function loadKnownNetworkServers(file: string = KNOWN_NETWORK_SERVERS_FILE): KnownNetworkServers {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new WardenError(
      'config',
      `cannot read the table of known servers ${file}: ${errorMessage(error)}`,
      {
        hint: 'reinstall mcp-warden (the file ships in its profiles/ folder)',
      },
    );
  }
  const parsed = KnownNetworkServersSchema.safeParse(parseJsonText(text, file, 'table of known servers'));
  if (!parsed.success) {
    throw new WardenError(
      'config',
      `invalid table of known servers ${file}:\n${formatZodError(parsed.error, '')}`,
      { hint: 'fix the entries named above (every host must be a valid --allow-host pattern)' },
    );
  }
  return parsed.data;
}
