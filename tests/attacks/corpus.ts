// The attack corpus: every case of tests/attacks/cases, in one list the per-backend suites share.
import type { AttackCase } from './types.ts';
import { CONTAINMENT_CASES } from './cases/containment.ts';
import { BUNDLING_CASES } from './cases/bundling.ts';
import { BWRAP_CONTAINMENT_CASES } from './cases/containment-bwrap.ts';
import { CONTAINER_CONTAINMENT_CASES } from './cases/containment-containers.ts';
import { ISOLATE_CONTAINMENT_CASES } from './cases/containment-isolate.ts';
import { LAUNCH_CONTAINMENT_CASES } from './cases/containment-launch.ts';
import { DESCRIPTOR_CASES } from './cases/descriptors.ts';
import { HOST_DEVICE_CASES } from './cases/host-devices.ts';
import { KEYRING_CASES } from './cases/keyrings.ts';
import { MCP_CONTENT_CASES } from './cases/mcp-content.ts';
import { PATH_BYPASS_CASES } from './cases/paths-bypass.ts';
import { PROC_SYS_CASES } from './cases/proc-sys.ts';
import { REDOS_CASES } from './cases/redos.ts';
import { SETUID_CASES } from './cases/setuid.ts';
import { FRAMING_CASES } from './cases/framing.ts';
import { MCP_CASES } from './cases/mcp.ts';
import { NETWORK_CASES } from './cases/network.ts';
import { NETWORK_SESSION_CASES } from './cases/network-sessions.ts';
import { PATH_CASES } from './cases/paths.ts';

/** Every case, in family order. */
export const CASES: AttackCase[] = [
  ...PATH_CASES,
  ...FRAMING_CASES,
  ...MCP_CASES,
  ...CONTAINMENT_CASES,
  ...DESCRIPTOR_CASES,
  ...SETUID_CASES,
  ...KEYRING_CASES,
  ...BUNDLING_CASES,
  ...REDOS_CASES,
  ...PATH_BYPASS_CASES,
  ...MCP_CONTENT_CASES,
  ...ISOLATE_CONTAINMENT_CASES,
  ...BWRAP_CONTAINMENT_CASES,
  ...CONTAINER_CONTAINMENT_CASES,
  ...LAUNCH_CONTAINMENT_CASES,
  ...HOST_DEVICE_CASES,
  ...PROC_SYS_CASES,
  ...NETWORK_CASES,
  ...NETWORK_SESSION_CASES,
];
