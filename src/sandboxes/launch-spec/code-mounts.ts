/** One host path mounted read-only for the server's code, and why (`explain` prints both). */
export interface CodeMount {
  path: string;
  why: string;
}

/** What the server's code needs mounted, what was deliberately left out, and what the user should know. */
export interface CodePaths {
  mounts: CodeMount[];
  /** Paths next to the server's code that are NOT mounted, and why (dotfiles, other packages...). */
  leftOut: CodeMount[];
  /** Things the user must know (a package too large to check fully...), for stderr. */
  warnings: string[];
}

/** An ordered set of mounts; the first reason given for a path is kept. */
export class MountList {
  readonly #mounts = new Map<string, string>();
  readonly #leftOut = new Map<string, string>();
  readonly warnings: string[] = [];

  add(path: string, why: string): void {
    if (!this.#mounts.has(path)) this.#mounts.set(path, why);
  }

  leaveOut(path: string, why: string): void {
    if (!this.#leftOut.has(path)) this.#leftOut.set(path, why);
  }

  has(path: string): boolean {
    return this.#mounts.has(path);
  }

  /** True when `file` is a mounted path or lies below a mounted directory. */
  covers(file: string): boolean {
    for (const mounted of this.#mounts.keys()) {
      if (file === mounted || file.startsWith(`${mounted}/`)) return true;
    }
    return false;
  }

  result(): CodePaths {
    const list = (map: Map<string, string>): CodeMount[] => [...map].map(([path, why]) => ({ path, why }));
    // A left-out path that ended up mounted after all (named elsewhere) is not reported as left out.
    return {
      mounts: list(this.#mounts),
      leftOut: list(this.#leftOut).filter((entry) => !this.covers(entry.path)),
      warnings: [...this.warnings],
    };
  }
}
