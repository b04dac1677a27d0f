// The host's sysctls.
//
// Issue: procfs lets uid 0 write every sysctl whose owner write bit is set, whatever the caller's
// capabilities. With the warden running as root, bwrap maps the sandbox user to host uid 0 (and skips its
// own read-only cover of /proc/sys in that mapping): the server could set /proc/sys/kernel/core_pattern
// to `|/a/rw/root/program`, which the kernel runs as host root on the next crash. Fix: a root warden's
// bwrap sandbox gets its /proc remounted read-only (`readOnlyProc`, src/sandboxes/bwrap/bwrap-plan.ts).
// Containers keep /proc/sys read-only themselves; an isolate has no /proc. The probe only opens the file
// for writing (O_WRONLY, no data): on `none`, run by root, that succeeds, which is the control.
import type { AttackCase } from '../types.ts';

const O_WRONLY = 1;

export const PROC_SYS_CASES: AttackCase[] = [
  {
    id: 'containment.sysctl-core-pattern',
    family: 'containment',
    title:
      'open /proc/sys/kernel/core_pattern for writing (as root, bwrap’s sandbox user was host root to procfs)',
    layer: 'os',
    action: {
      kind: 'probe',
      probe: () => ({ op: 'openFlags', path: '/proc/sys/kernel/core_pattern', flags: O_WRONLY }),
    },
    expect: {
      kind: 'contained',
      what: 'refused (EROFS, EACCES or EPERM): the host’s core_pattern cannot be set',
      check: (r) => (r.ok === false ? undefined : `opened for writing: ${JSON.stringify(r)}`),
    },
  },
];
