import { parseArgs } from 'node:util';
import { BACKEND_NAMES } from '../config/profile-schema.ts';
import { WardenError, errorMessage } from '../errors.ts';
import { BACKEND_NAMES as AUTO_ORDER, getBackend } from '../sandboxes/registry.ts';
import { addEgressChecks } from './doctor-egress.ts';
import { type BackendReport, renderDoctorTable } from './doctor-table.ts';
import { EXIT } from './exit-codes.ts';
import { say } from './output.ts';

/** `mcp-warden doctor [--json]`: which backends work here, and why not. Always exits 0 unless misused. */
export async function doctorCommand(argv: readonly string[]): Promise<number> {
  let json: boolean;
  try {
    json = Boolean(
      parseArgs({ args: [...argv], options: { json: { type: 'boolean' } }, strict: true }).values.json,
    );
  } catch (error) {
    throw new WardenError('usage', errorMessage(error), { hint: 'usage: mcp-warden doctor [--json]' });
  }
  const reports: BackendReport[] = [];
  for (const name of BACKEND_NAMES) reports.push(await report(name));
  // A real relay round trip on each isolating backend that works here (bwrap, docker, gvisor).
  await addEgressChecks(reports, getBackend);
  // The same preference as `--profile auto` (registry order: strongest first), never `none` or `isolate`.
  const auto = AUTO_ORDER.map((name) => reports.find((r) => r.backend === name)).find(
    (r) => r?.available === true && r.backend !== 'none' && r.backend !== 'isolate',
  )?.backend;
  if (json) {
    say(
      JSON.stringify(
        { node: process.version, platform: process.platform, auto: auto ?? null, backends: reports },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  say(renderDoctorTable(reports, auto, { node: process.version, platform: process.platform }));
  return EXIT.ok;
}

async function report(name: (typeof BACKEND_NAMES)[number]): Promise<BackendReport> {
  try {
    const availability = await getBackend(name).probe();
    const checks =
      availability.checks && availability.checks.length > 0 ? { checks: availability.checks } : {};
    return availability.available
      ? {
          backend: name,
          available: true,
          ...(availability.version ? { version: availability.version } : {}),
          ...checks,
        }
      : { backend: name, available: false, reason: availability.reason, fix: availability.fix, ...checks };
  } catch (error) {
    const hint = error instanceof WardenError ? error.hint : undefined;
    return { backend: name, available: false, reason: errorMessage(error), ...(hint ? { fix: hint } : {}) };
  }
}
