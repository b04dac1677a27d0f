import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
/** watchdog-main next to this file, with this file's extension (.ts under type stripping, .js in dist). */
const WATCHDOG_ENTRY = path.join(path.dirname(self), `watchdog-main${path.extname(self)}`);
/** What the warden writes before closing the lifeline when it has no container left: exit quietly. */
export const ALL_CLEAR = 'all-clear\n';
/** The watchdog's scheduling priority (nice): below the warden and its containers. */
const WATCHDOG_NICE = 10;

/** One container's claim on the watchdog; release it once the warden has removed the container. */
export interface Lifeline {
  release(): void;
}

let watchdog: ChildProcess | undefined;
let holders = 0;

/**
 * Keep a watchdog running while this warden has containers (issue 20 item 15). The watchdog is a small
 * detached host process whose stdin is a pipe only this process holds the write end of (libuv opens
 * it close-on-exec, so no sandbox or other child inherits it). If the warden dies, even by SIGKILL, the
 * pipe closes and the watchdog removes every container labelled with `owner` through the engine, then
 * exits. When the last container is released the warden says so and closes the pipe: the watchdog exits
 * without touching the engine. One watchdog serves all the containers of a warden (a gateway's too).
 * Call it before creating the container: the watchdog starts while the engine works. Never throws: if
 * the watchdog cannot start, the reaper of the next warden start is the fallback.
 */
export function holdLifeline(owner: string): Lifeline {
  holders++;
  watchdog ??= startWatchdog(owner);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      holders--;
      if (holders > 0 || watchdog === undefined) return;
      const stdin = watchdog.stdin;
      watchdog = undefined;
      stdin?.end(ALL_CLEAR);
    },
  };
}

/**
 * What waits on the lifeline: a POSIX shell, ~1 MB where an idle Node is ~45 MB (issue 19: eight
 * docker servers had eight idle Node watchdogs, 384 MB RSS). It reads one line; "all clear" ends it;
 * anything else, the end of the pipe above all (the warden died), execs the Node watchdog (its
 * arguments: node, watchdog-main, owner), which finds the pipe at its end and removes the containers.
 * Nothing is interpolated into the script: the values are its positional parameters.
 */
const WAIT_SCRIPT = 'IFS= read -r said; [ "$said" = "$1" ] && exit 0; shift; exec "$@"';

function startWatchdog(owner: string): ChildProcess | undefined {
  try {
    const argv = [
      '-c',
      WAIT_SCRIPT,
      'mcp-warden-watchdog',
      ALL_CLEAR.trimEnd(),
      process.execPath,
      WATCHDOG_ENTRY,
      owner,
    ];
    const child = spawn('/bin/sh', argv, {
      // Its own session: a signal to the warden's process group (Ctrl-C, a supervisor's group kill)
      // must not take the watchdog down with the warden it watches.
      detached: true,
      // stdout is the MCP channel: the watchdog never writes to it, nor to the client's stderr.
      stdio: ['pipe', 'ignore', 'ignore'],
      cwd: '/',
    });
    // It idles until the warden dies: its start-up must not compete with the container's.
    try {
      if (child.pid !== undefined) os.setPriority(child.pid, WATCHDOG_NICE);
    } catch {
      // Already gone: the exit handler below forgets it.
    }
    child.on('error', () => undefined);
    // A watchdog that died (killed by someone) is replaced for the next container.
    child.on('exit', () => {
      if (watchdog === child) watchdog = undefined;
    });
    child.stdin?.on('error', () => undefined); // EPIPE if the watchdog died: the reaper covers it.
    // The warden's exit must not wait for the watchdog, nor for its pipe.
    child.unref();
    (child.stdin as Socket | null)?.unref();
    return child;
  } catch {
    return undefined;
  }
}
