/** `mcp-warden replay --help`. Option names are part of the stable contract (DESIGN.md). */
export const REPLAY_HELP = `Usage: mcp-warden replay --profile NAME|FILE [options] FILE...

Decides every message and connection recorded by "mcp-warden run --record FILE" again under the
profile given, with the real policy engine (no sandbox, no server, no network), and prints every
decision that changes: allowed → denied, denied → allowed, or denied by another rule, with the line of
the record, the method or tool, a redacted summary of the arguments and the rule. A check to run in CI
before changing a profile or a gateway's policy.

Options:
  --profile NAME|FILE     the profile to decide under (a built-in name or a profile JSON file); required
  --policy FILE           a policy JSON merged over the profile's policy (as for run)
  --root PATH[:ro]        the roots to decide under (repeatable); default: each session's recorded roots
  --allow-host PATTERN    hosts added to the profile's network allowlist (repeatable); default: each
                          session's recorded --allow-host values
  --lock FILE             tool pins written by mcp-warden scan (default: the profile's guards.lockFile)
  --json                  print the report as JSON (stable keys, for CI)
  -h, --help              this help

Exit status: 0 nothing changes, 1 some decision changes, 2 bad input (an unreadable record, another
format version, a malformed line: the message names the file and line).`;
