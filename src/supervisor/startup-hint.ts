/**
 * What a failed start's stderr says went wrong, as one sentence with the fix; undefined when nothing
 * is recognised. Pure. Checked in order, first match wins: a missing shared library (also shows up as
 * a Python ImportError, so before the missing module), a missing module, a read-only file system, a
 * denied network call, a denied path.
 */
export function startupHint(stderr: readonly string[]): string | undefined {
  const text = stderr.join('\n');
  for (const { pattern, hint } of HINTS) if (pattern.test(text)) return hint;
  return undefined;
}

const HINTS: ReadonlyArray<{ pattern: RegExp; hint: string }> = [
  {
    pattern:
      /error while loading shared libraries|cannot open shared object file|ImportError: lib[\w.+-]*\.so|Library not loaded|Error relocating/,
    hint: 'a shared library the server needs is not mounted in the sandbox: add its directory to "readOnlyPaths" in a profile (--profile FILE), and check `mcp-warden explain` for what is mounted',
  },
  {
    pattern: /ModuleNotFoundError|No module named /,
    hint: "a Python module is missing: a server installed in a virtualenv (pip, pipx, uv tool) must be started by its console script or the venv's python, so the warden mounts that venv; check that the package is installed in it",
  },
  {
    pattern: /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/,
    hint: "a Node module is missing: the warden mounts the script's package root (nearest package.json with its node_modules); run npm install there, or start the server with npx -y PKG",
  },
  {
    pattern: /EROFS|Read-only file system/i,
    hint: 'the server wrote outside its read-write roots: give it one with --root PATH, or point its data path (--env NAME=PATH) into a root; its HOME is a private state directory',
  },
  {
    pattern:
      /ENETUNREACH|EAI_AGAIN|ENOTFOUND|fetch failed|getaddrinfo|Temporary failure in name resolution|Network is unreachable/,
    hint: 'the server tried to reach the network, which the sandbox blocks by default: allow the hosts it needs with --allow-host HOST',
  },
  {
    pattern: /EACCES|Permission denied/,
    hint: 'the server was denied access to a path: check that each --root is readable (and writable without :ro) by the user the sandbox runs as; `mcp-warden explain` shows who that is',
  },
];

/** The start-up failure as the user reads it on stderr: what happened, the server's last words, the fix. */
export function describeStartupFailure(
  reason: string,
  stderr: readonly string[],
  hint: string | undefined,
): string {
  const lines = [`mcp-warden: ${reason}`];
  if (stderr.length > 0) {
    lines.push('  its last stderr lines:');
    for (const line of stderr) lines.push(`  | ${line}`);
  } else {
    lines.push('  it wrote nothing to stderr');
  }
  if (hint !== undefined) lines.push(`  hint: ${hint}`);
  return `${lines.join('\n')}\n`;
}
