#!/usr/bin/env node
import { WardenError } from '../errors.ts';
import { auditCommand } from './audit-verify.ts';
import { doctorCommand } from './doctor.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { explainCommand } from './explain.ts';
import { MAIN_HELP } from './help.ts';
import { describeError, say, warn } from './output.ts';
import { runCommand } from './run.ts';

/** Dispatch a command; every failure becomes a message on stderr and a DESIGN.md exit status. */
async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'explain':
      return explainCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    case 'audit':
      return auditCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      say(MAIN_HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    case '--version':
      say('0.1.0');
      return EXIT.ok;
    default:
      throw new WardenError('usage', `unknown command "${command}"`, {
        hint: 'commands: run, explain, doctor, audit verify (see mcp-warden --help)',
      });
  }
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  warn(`Node ${process.versions.node} is too old: mcp-warden needs Node 22 or newer.`);
  process.exit(EXIT.unavailable);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    warn(describeError(error));
    process.exit(error instanceof WardenError ? exitCodeFor(error.code) : EXIT.failure);
  },
);
