import { z } from 'zod';
import { HostPatternSchema } from './network-schema.ts';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Hosts a known server needs only when one of its variables is set (an optional provider, say). */
export const ConditionalHostsSchema = z
  .object({
    env: z
      .string()
      .regex(ENV_NAME, 'must be an environment variable name')
      .describe('The variable that turns them on'),
    hosts: z.array(HostPatternSchema).min(1).describe('--allow-host values it then needs'),
    why: z.string().min(1).describe('What the variable turns on, in a few words'),
  })
  .strict()
  .describe('Hosts needed only when the server entry sets `env`');

/** One reviewed entry: a well-known MCP server package and the hosts it needs. */
export const KnownServerSchema = z
  .object({
    package: z.string().min(1).describe('The package name, spelled as its registry spells it'),
    registry: z.enum(['npm', 'pypi']).describe('Where the package is published'),
    reviewed: z
      .string()
      .min(1)
      .describe('The version whose code or documentation the hosts were checked against'),
    aliases: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Other names the server is started by, such as its executables; a Python module spelled like the package with `_` (mcp_server_fetch) needs none',
      ),
    hosts: z
      .array(HostPatternSchema)
      .describe(
        '--allow-host values it needs to work; empty when no fixed list exists (otherHosts says why)',
      ),
    whenEnv: z.array(ConditionalHostsSchema).default([]).describe('Hosts needed only with a variable set'),
    otherHosts: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Hosts it reaches that no fixed list can name (any site a fetcher or browser is asked for, a self-hosted instance), in words; unset: `hosts` is all it needs',
      ),
    source: z
      .string()
      .min(1)
      .describe(
        'Where the hosts come from: the files of the package at `reviewed`, or the docs that name them',
      ),
  })
  .strict()
  .refine((entry) => entry.hosts.length > 0 || entry.otherHosts !== undefined, {
    message: 'an entry without hosts must say in otherHosts what it reaches',
    path: ['otherHosts'],
  })
  .describe('A reviewed MCP server package and the hosts it needs');

/**
 * The reviewed table of well-known MCP servers that need the network (profiles/known-network-servers.json).
 * `wrap` suggests `--allow-host` values from it and from nowhere else; it never applies them.
 */
export const KnownNetworkServersSchema = z
  .object({
    $comment: z.string().optional().describe('What this file is, for people reading it'),
    servers: z.array(KnownServerSchema).min(1).describe('One entry per package'),
  })
  .strict()
  .superRefine((table, ctx) => {
    const seen = new Map<string, number>();
    table.servers.forEach((entry, i) => {
      for (const name of [entry.package, ...entry.aliases]) {
        const key = packageKey(name);
        const first = seen.get(key);
        if (first !== undefined && first !== i) {
          ctx.addIssue({
            code: 'custom',
            path: ['servers', i],
            message: `"${name}" is already named by servers[${first}]: one entry per package`,
          });
        }
        seen.set(key, i);
      }
    });
  })
  .describe('Reviewed table of well-known MCP servers and the hosts they need');

export type KnownServer = z.infer<typeof KnownServerSchema>;
export type KnownNetworkServers = z.infer<typeof KnownNetworkServersSchema>;

/**
 * Pure: the form package names are compared in: lower case, runs of `-`, `_` and `.` as one `-` (PyPI's
 * rule, which also makes a Python module name such as `mcp_server_fetch` meet its package).
 */
export function packageKey(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');
}
