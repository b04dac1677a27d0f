import { WardenError } from '../errors.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { MAIN_HELP } from './help.ts';
import { describeError, say, warn } from './output.ts';

/** Dispatch a command; each command's modules load only when it runs (start-up time matters). Resolves with the exit status; throws WardenError for usage/config problems. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return (await import('./run.ts')).runCommand(rest);
    case 'explain':
      return (await import('./explain.ts')).explainCommand(rest);
    case 'doctor':
      return (await import('./doctor.ts')).doctorCommand(rest);
    case 'image':
      return (await import('./image.ts')).imageCommand(rest);
    case 'audit':
      return (await import('./audit-verify.ts')).auditCommand(rest);
    case 'gateway':
      return (await import('./gateway.ts')).gatewayCommand(rest);
    case 'scan':
      return (await import('./scan.ts')).scanCommand(rest);
    case 'wrap':
      return (await import('./wrap.ts')).wrapCommand(rest);
    case 'unwrap':
      return (await import('./wrap.ts')).unwrapCommand(rest);
    case 'learn':
      return (await import('./learn.ts')).learnCommand(rest);
    case 'replay':
      return (await import('./replay.ts')).replayCommand(rest);
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
        hint: 'commands: run, explain, doctor, gateway, scan, wrap, unwrap, learn, replay, image build, audit verify (see mcp-warden --help)',
      });
  }
}

/** Run the CLI and exit with its status; every failure becomes a message and a DESIGN.md status. */
export function runCli(argv: readonly string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      warn(describeError(error));
      process.exit(error instanceof WardenError ? exitCodeFor(error.code) : EXIT.failure);
    },
  );
}
