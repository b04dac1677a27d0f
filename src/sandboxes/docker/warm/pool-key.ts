import { createHash } from 'node:crypto';
import { type BigIntStats, statSync } from 'node:fs';
import type { ContainerCreateBody } from '../container-plan.ts';
import { OWNER_LABEL } from '../owner.ts';

/** Reads a host path's metadata (symlinks followed); undefined: no such path. */
export type StatFn = (file: string) => BigIntStats | undefined;

/**
 * Pure (given `stat`): the warm-pool key of a container plan. Two plans share a key only when the
 * containers would be the same: the create body byte for byte in canonical form (image, runtime,
 * command, environment values, user, mounts, limits, seccomp profile...), apart from the owner label,
 * the one per-warden field; the engine; and the identity of what is mounted, so a ready container
 * never outlives a change on the host:
 * - every mount source by device and inode (a root deleted and made again, a symlink re-pointed);
 * - read-only sources (the server's code, its runtime) also by size, mtime and ctime, and so are the
 *   files the command names (the server's script): a ready server booted from the code as it is.
 * A read-write source's times are left out: the server's own writes change them all the time.
 */
export function poolKey(body: ContainerCreateBody, engine: string, stat: StatFn): string {
  const { [OWNER_LABEL]: _owner, ...labels } = body.Labels;
  const identity = (file: string, full: boolean): string => {
    const info = stat(file);
    if (info === undefined) return 'missing';
    const base = `${info.dev}:${info.ino}`;
    return full ? `${base}:${info.size}:${info.mtimeNs}:${info.ctimeNs}` : base;
  };
  const mounts = body.HostConfig.Mounts.map((mount) => identity(mount.Source, mount.ReadOnly));
  const files = body.Cmd.filter((arg) => arg.startsWith('/') && stat(arg)?.isFile() === true).map(
    (file) => `${file}=${identity(file, true)}`,
  );
  const canonical = canonicalJson({ engine, body: { ...body, Labels: labels }, mounts, files });
  return createHash('sha256').update(canonical).digest('hex');
}

/** The host's own metadata of `file` (symlinks followed), with nanosecond times; undefined when absent. */
export const hostStat: StatFn = (file) => {
  try {
    return statSync(file, { bigint: true });
  } catch {
    return undefined;
  }
};

/** Pure: JSON with every object's keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}
