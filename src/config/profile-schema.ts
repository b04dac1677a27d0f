import { z } from 'zod';
import { NetworkSchema } from './network-schema.ts';
import { PolicySchema } from './policy-schema.ts';

export const BACKEND_NAMES = ['none', 'bwrap', 'docker', 'gvisor', 'seatbelt', 'isolate'] as const;

export const LimitsSchema = z
  .object({
    memoryMb: z.number().int().min(16).max(1_048_576).optional().describe('Memory cap of the sandbox in MiB'),
    cpus: z.number().min(0.05).max(1024).optional().describe('CPU cap (number of cores, may be fractional)'),
    pids: z.number().int().min(4).max(1_000_000).optional().describe('Maximum number of processes/threads'),
    tmpfsMb: z.number().int().min(1).max(65_536).optional().describe('Size cap of the private /tmp in MiB'),
  })
  .strict()
  .describe('Resource limits; a backend that cannot enforce one says so in `explain` and on stderr');

export const ContainerSchema = z
  .object({
    image: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'must be a docker image reference such as mcp-warden/python:3.12')
      .describe(
        'A locally available image to start from instead of the offline node image (docker/gvisor only); see images/README.md',
      ),
    runtime: z
      .string()
      .startsWith('/', 'must be an absolute path inside the image')
      .optional()
      .describe(
        "The interpreter inside `image` that replaces the server command's program (e.g. /usr/local/bin/python3); unset: the host program and its libraries are mounted read-only",
      ),
  })
  .strict()
  .describe('Container settings of the docker and gvisor backends');

/**
 * A profile: which backend, its settings, and the policy. Built-ins live in profiles/*.json; users may
 * pass their own file with --profile FILE. profiles/schema.json is generated from this schema.
 */
export const ProfileSchema = z
  .object({
    $schema: z.string().optional().describe('Editor hint: path or URL of profiles/schema.json'),
    name: z.string().min(1).max(64).describe('Profile name shown in logs and audit events'),
    description: z.string().max(1000).default('').describe('What this profile protects against'),
    backend: z.enum(BACKEND_NAMES).describe('Isolation backend'),
    network: NetworkSchema,
    limits: LimitsSchema.prefault({}),
    onClientBreach: z
      .enum(['deny', 'kill'])
      .default('deny')
      .describe('deny: answer -32001 and go on; kill: also kill the sandbox'),
    onServerBreach: z
      .enum(['kill', 'restart'])
      .default('kill')
      .describe('kill: exit 70 after a server breach; restart: start a fresh sandbox on the next request'),
    roots: z
      .array(
        z
          .string()
          .regex(
            /^\/.*?(?::ro)?$/,
            'must be an absolute directory, optionally followed by :ro (/data/project:ro)',
          ),
      )
      .optional()
      .describe(
        'Directories this profile limits the server to (PATH or PATH:ro, as written by `mcp-warden learn`); unset: no limit. Without --root they are the roots; each --root is narrowed to them (the deeper path, :ro when either is) and one outside all of them is refused',
      ),
    env: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'))
      .optional()
      .describe(
        "Environment variable names passed to the server from the warden's environment, like --env NAME (as written by `mcp-warden learn`); unset: only those given with --env",
      ),
    readOnlyPaths: z
      .array(z.string().startsWith('/', 'must be an absolute path'))
      .default([])
      .describe('Extra host paths mounted read-only (e.g. a Python runtime outside /usr)'),
    container: ContainerSchema.optional(),
    policy: PolicySchema.prefault({}),
  })
  .strict();

export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;
