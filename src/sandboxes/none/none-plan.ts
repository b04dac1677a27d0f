import type { LaunchSpec, SandboxPlan } from '../types.ts';

/**
 * Pure: the plan for running `spec` as a plain child process. With `setprivPath` the command is
 * wrapped in `setpriv --pdeathsig KILL` so the server dies even if the warden is SIGKILLed (no
 * 'exit' handler runs then); undefined means setpriv is missing and the bare command is used.
 * The environment is exactly `spec.env`: nothing is inherited from the warden.
 */
export function planNone(spec: LaunchSpec, setprivPath: string | undefined): SandboxPlan {
  const command = [spec.executable, ...spec.args];
  const unenforced = [
    ...(spec.limits.memoryMb === undefined ? [] : [`memory ${spec.limits.memoryMb} MB`]),
    ...(spec.limits.cpus === undefined ? [] : [`cpus ${spec.limits.cpus}`]),
    ...(spec.limits.pids === undefined ? [] : [`pids ${spec.limits.pids}`]),
    ...(spec.limits.tmpfsMb === undefined ? [] : [`tmpfs ${spec.limits.tmpfsMb} MB`]),
  ];
  return {
    backend: 'none',
    argv: setprivPath === undefined ? command : [setprivPath, '--pdeathsig', 'KILL', '--', ...command],
    env: { ...spec.env },
    // The egress relay hands its listener to the warden's proxy over an IPC channel (listener-handoff.ts).
    ...(spec.egress?.relay === undefined ? {} : { handoff: { socketPath: spec.egress.socketPath } }),
    cwd: spec.cwd,
    notes: [
      'no isolation: policy layer only',
      'filesystem: the whole host, with the warden user’s rights',
      spec.network ? 'network: host' : 'network: NOT blocked (this backend cannot isolate it)',
      setprivPath === undefined
        ? 'parent death: not covered (setpriv not found); the server may outlive a SIGKILLed warden'
        : 'parent death: setpriv --pdeathsig KILL',
      'leftover processes: found by descent and by a per-sandbox MCP_WARDEN_SANDBOX marker in their environment',
    ],
    unenforced,
  };
}
