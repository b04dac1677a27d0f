// One `mcp-warden gateway` process for a bench: config written to a file, started, its listening URL
// read from its log, stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface GatewayProcess {
  /** http://127.0.0.1:PORT */
  base: string;
  child: ChildProcess;
  pid: number;
  /** Its stderr so far (audit events included when the config has no auditDir). */
  stderr(): string;
  /** SIGTERM; resolves with the exit status (null after a signal). */
  stop(): Promise<number | null>;
}

/**
 * Write `config` to DIR/NAME.json and start `node ENTRY gateway --config` on it (log level warn), its
 * stderr going to DIR/NAME.log. A file, not a pipe: Node writes to a pipe on stderr synchronously, so a
 * bench busy driving hundreds of clients (or blocked) would stall the gateway it measures whenever the
 * pipe filled — with no auditDir every audit event goes there. Rejects with the log if the gateway
 * exits before printing `gateway listening on URL`.
 */
export async function startGatewayProcess(
  entry: string,
  config: Record<string, unknown>,
  dir: string,
  name = 'gateway',
): Promise<GatewayProcess> {
  const file = path.join(dir, `${name}.json`);
  const log = path.join(dir, `${name}.log`);
  writeFileSync(file, JSON.stringify(config));
  const fd = openSync(log, 'w');
  const child = spawn(process.execPath, [entry, 'gateway', '--config', file], {
    env: { ...process.env, MCP_WARDEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', fd],
  });
  closeSync(fd);
  const stderr = (): string => readFileSync(log, 'utf8');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  let base: string | undefined;
  while (base === undefined) {
    if (gone) throw new Error(`gateway ${name} exited ${child.exitCode}:\n${stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    base = /gateway listening on (http:\/\/\S+)\s/.exec(stderr())?.[1];
  }
  return {
    base,
    child,
    pid: child.pid!,
    stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
