import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Docker's default masked paths (moby/moby docker-v29.7.2, daemon/pkg/oci/defaults.go). A create body's
 * HostConfig.MaskedPaths REPLACES the engine's default, so the warden's list starts from the newest
 * one: older engines (20.10 leaves /proc/interrupts and powercap readable) get it too.
 */
export const DOCKER_DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
];

/**
 * Masked by the warden on top of Docker's list: /proc/key-users shows the key counts and quotas of every
 * user of the host (keyrings are not namespaced; Docker masks /proc/keys only).
 */
export const WARDEN_MASKED_PATHS: readonly string[] = ['/proc/key-users'];

/**
 * The per-CPU thermal_throttle directories of this host, which newer engines mask as well
 * (GHSA-6fw5-f8r9-fgfm); empty where there are none. For a local engine this host is the engine's.
 */
export function thermalThrottlePaths(cpuDir = '/sys/devices/system/cpu'): string[] {
  try {
    return readdirSync(cpuDir, { withFileTypes: true })
      .filter((entry) => /^cpu\d+$/.test(entry.name))
      .map((entry) => path.join(cpuDir, entry.name, 'thermal_throttle'))
      .filter((dir) => existsSync(dir));
  } catch {
    return [];
  }
}

/** Pure: every path a container masks: Docker's defaults, the warden's, and the host's extra ones. */
export function containerMaskedPaths(hostPaths: readonly string[]): string[] {
  return [...new Set([...DOCKER_DEFAULT_MASKED_PATHS, ...WARDEN_MASKED_PATHS, ...hostPaths])];
}
