import type { WardenErrorCode } from '../errors.ts';

/**
 * Exit statuses (DESIGN.md): 0 normal end, 2 usage/config, 69 backend unavailable, 70 breach, 71 the
 * server exited during start-up (supervisor/session.ts EXIT_STARTUP).
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  unavailable: 69,
  breach: 70,
  startupFailed: 71,
  interrupted: 130,
} as const;

export function exitCodeFor(code: WardenErrorCode): number {
  switch (code) {
    case 'usage':
    case 'config':
    case 'resolve-failed':
    case 'audit':
      return EXIT.usage;
    case 'backend-unavailable':
    case 'launch-failed':
      return EXIT.unavailable;
    default:
      return EXIT.failure;
  }
}
