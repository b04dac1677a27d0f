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
       mcp-warden unwrap [--config FILE] [--server NAME]... [--force] [--dry-run] [--yes]

wrap rewrites the stdio servers of an MCP client config so each is launched through
"mcp-warden run", keeping its command, args and env (env names become --env entries). Claude Desktop,
Claude Code (.mcp.json, ~/.claude.json), Cursor, VS Code, Windsurf, Gemini CLI, Cline, Zed
(settings.json), Codex CLI (config.toml) and Goose (config.yaml) configs are understood. HTTP servers
are left alone. The original entry is kept inside the wrapped one (key "x-mcp-warden", or a comment in
TOML/YAML), so unwrap restores the file byte for byte. A backup (FILE.mcp-warden.bak) is written
before every change; running wrap twice changes nothing the second time.

Roots: each server's absolute directory arguments, the directory of every absolute path in its env
(e.g. MEMORY_FILE_PATH), and client variables that name a directory (\${workspaceFolder}, \${PWD}, ...),
kept unexpanded so the client expands them for the warden as it did for the server.

Network: a wrapped server has none unless given --allow-host. For each server that seems to need it (a
package of the reviewed table profiles/known-network-servers.json, env names such as *_API_KEY,
*_TOKEN, *_SECRET, *_URL, or URL values), wrap says so on stderr with the --allow-host values that
table lists; hosts read from the config's own URLs are shown as not reviewed. Nothing is applied.

Options:
  --config FILE            the config to change; without it, the usual per-OS locations are offered
  --format NAME            the client format when the file name does not tell it (claude-desktop,
                           claude-code, claude-code-user, cursor, vscode, windsurf, gemini, cline, zed,
                           codex, goose)
  --profile NAME|FILE      sandbox profile for the wrapped servers (default auto); checked like run does
  --root PATH[:ro]         roots for every wrapped server (repeatable), instead of its directory arguments
  --server NAME            only this server (repeatable); default: every stdio server
  --allow-host PATTERN     let the wrapped servers reach this host through the warden's egress proxy
                           (repeatable; checked like run checks it); with more than one server to wrap,
                           name the ones that need it with --server
  --warden-command CMD     how the client starts the warden; default: the absolute node and script of
                           this warden. Split on spaces; a package runner must pin the version
                           (e.g. "npx -y mcp-warden@0.1.0"); env MCP_WARDEN_COMMAND
  --lock FILE              add --lock FILE (tool pins from mcp-warden scan) to each wrapped server
  --warm                   add --warm to each wrapped server: start from a container kept ready by the
                           per-user warm pool (docker and gvisor profiles only)
  --dry-run                print the change as a unified diff on stdout, write nothing
  --force                  replace a read-only config (its mode is kept); unwrap: restore entries edited
                           after wrapping, losing those edits
  --yes                    do not ask before changing a file found by default
  --json                   machine-readable summary on stdout

Exit status: 0 done (also "nothing to do"), 2 usage, config or file error (nothing written),
69 the --profile backend cannot run here.`;
