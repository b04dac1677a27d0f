import type { SandboxProcess } from '../process/spawn-sandbox-process.ts';
import { CONFIG_ON_STDIN, HOST_CONFIG_ENV } from './host-config.ts';

type Spawn = (argv: readonly string[], env: Record<string, string>, cwd: string) => Promise<SandboxProcess>;

/**
 * An isolate host started before its plan exists (Backend.prestart): Node boots, loads the host's modules
 * and isolated-vm while the warden resolves the launch spec, then waits for its configuration on stdin
 * (CONFIG_ON_STDIN). Its command line is every host's (hostArgv: nothing about the server) and its
 * environment holds nothing but that marker. Taken once, by a launch with the same command line; a
 * standby that is not taken dies with the warden (SIGKILL on exit, setpriv's parent-death signal, and
 * stdin's end before a configuration).
 */
export class HostStandby {
  readonly #argv: readonly string[];
  readonly #started: Promise<SandboxProcess | undefined>;
  #taken = false;
  #dead = false;
  #process: SandboxProcess | undefined;
  readonly #onExit = (): void => this.#process?.killAllNow();

  constructor(argv: readonly string[], spawn: Spawn) {
    this.#argv = [...argv];
    process.once('exit', this.#onExit);
    this.#started = spawn(argv, { [HOST_CONFIG_ENV]: CONFIG_ON_STDIN }, '/').then(
      (host) => {
        this.#process = host;
        void host.exited.then(() => (this.#dead = true));
        return host;
      },
      () => undefined, // the launch then spawns as usual, and reports what fails
    );
  }

  /**
   * The standby, given `env`'s configuration on its stdin, when it can serve a launch of `argv` with
   * `env`: same command line, an environment of exactly the configuration, still running. Else
   * undefined (and a standby that can serve nothing is stopped). Once.
   */
  async take(argv: readonly string[], env: Record<string, string>): Promise<SandboxProcess | undefined> {
    if (this.#taken) return undefined;
    this.#taken = true;
    const host = await this.#started;
    process.off('exit', this.#onExit);
    const config = env[HOST_CONFIG_ENV];
    const fits =
      argv.length === this.#argv.length &&
      argv.every((arg, i) => arg === this.#argv[i]) &&
      Object.keys(env).length === 1 &&
      config !== undefined &&
      config !== CONFIG_ON_STDIN &&
      !config.includes('\n');
    if (host === undefined) return undefined;
    if (!fits || this.#dead) {
      void host.stop({ graceful: false });
      return undefined;
    }
    host.stdin.write(`${config}\n`);
    return host;
  }

  /** Stop the standby if nothing took it. */
  discard(): void {
    if (this.#taken) return;
    this.#taken = true;
    process.off('exit', this.#onExit);
    void this.#started.then((host) => host?.stop({ graceful: false }));
  }
}
