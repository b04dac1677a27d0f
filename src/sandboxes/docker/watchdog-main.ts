// The watchdog process of one warden (watchdog.ts starts it): it waits for the end of its stdin, a
// pipe only the warden writes to. "all clear" first: the warden removed its containers itself. Anything
// else (the warden died, even by SIGKILL): remove every container labelled with the owner given as
// argument, through the same engine connection the backend uses, then exit. Nothing is loaded before
// the pipe ends. A warden does not keep this Node idle (~45 MB): watchdog.ts starts a shell that reads
// the pipe and execs this only once it ends without "all clear".
import { ALL_CLEAR } from './watchdog.ts';

/** A stuck engine must not keep the watchdog alive forever; the reaper of the next start takes over. */
const GIVE_UP_MS = 60_000;
/** A create that was in flight when the warden died can land after the first pass. */
const SECOND_PASS_MS = 2000;

const owner = process.argv[2] ?? '';
let said = '';
let finishing = false;

async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  if (said === ALL_CLEAR || owner === '') process.exit(0);
  setTimeout(() => process.exit(1), GIVE_UP_MS).unref();
  const [{ dockerConnection }, { removeContainersOf }] = await Promise.all([
    import('./docker-connection.ts'),
    import('./reap.ts'),
  ]);
  const docker = await dockerConnection();
  await removeContainersOf(docker, owner);
  await new Promise((resolve) => setTimeout(resolve, SECOND_PASS_MS));
  await removeContainersOf(docker, owner);
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => (said += chunk));
process.stdin.on('end', () => void finish());
// A reset pipe is a dead warden too.
process.stdin.on('error', () => void finish());
