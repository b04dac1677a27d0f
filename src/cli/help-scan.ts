/** Help texts of the client-integration commands. Option names are part of the stable contract (DESIGN.md). */
export const SCAN_HELP = `Usage: mcp-warden scan [options] -- COMMAND [ARGS...]

Starts the server in the sandbox (like run), lists its tools, prompts and resources, and reports
poisoned definitions: hidden instruction blocks, instructions to read secrets or call other tools,
zero-width and bidi characters, ANSI escapes, oversized text, and a definition that changes between
two listings. Records the hash of every definition in a lock file; later scans (and run --lock)
treat a changed definition as a breach until it is approved again with --update.

Options:
  --profile NAME|FILE   sandbox profile (default auto)
  --root PATH[:ro]      a directory the server may use (repeatable)
  --env NAME[=VALUE]    pass one environment variable to the server (repeatable)
  --lock FILE           lock file (default ./mcp-warden.lock.json); written when absent and the scan passes
  --update              approve the current definitions: (re)write the lock file
  --fail-on SEVERITY    low, medium, high (default) or critical: exit 1 when a finding reaches it
  --json                machine-readable report on stdout
  --timeout MS          give up when the server does not answer (default 60000)

Exit status: 0 pass, 1 findings at or above --fail-on, 2 usage error, 69 backend unavailable.`;

export const WRAP_HELP = `Usage: mcp-warden wrap [--config FILE] [options]
       mcp-warden unwrap [--config FILE] [--server NAME]... [--yes]

wrap rewrites the stdio servers of an MCP client config so each is launched through
"mcp-warden run", keeping its command, args and env (env names become --env entries). Claude Desktop,
Claude Code (.mcp.json, ~/.claude.json), Cursor (mcp.json) and VS Code (.vscode/mcp.json) configs are
understood. HTTP servers are left alone. The original entry is kept inside the wrapped one (key
"x-mcp-warden"), so unwrap restores the file byte for byte. A backup (FILE.mcp-warden.bak) is written
before every change; running wrap twice changes nothing the second time.

Options:
  --config FILE            the config to change; without it, the usual per-OS locations are offered
  --profile NAME           sandbox profile for the wrapped servers (default auto)
  --root PATH[:ro]         roots for every wrapped server (repeatable); default: the absolute
                           directory arguments each server was given
  --server NAME            only this server (repeatable); default: every stdio server
  --warden-command CMD     how the client starts the warden (default "npx -y mcp-warden"; env
                           MCP_WARDEN_COMMAND); split on spaces
  --dry-run                print what would change, write nothing
  --yes                    do not ask before changing a file found by default
  --json                   machine-readable summary on stdout`;
