/** Help texts. Option names are part of the stable contract (DESIGN.md). */
export const MAIN_HELP = `mcp-warden — run an untrusted MCP server in a sandbox, with a policy on every message

Usage:
  mcp-warden run [options] -- COMMAND [ARGS...]      mediate one stdio MCP session
  mcp-warden explain [options] -- COMMAND [ARGS...]  print the exact sandbox run would launch
  mcp-warden doctor [--json]                         which backends work here, and why not
  mcp-warden gateway --config FILE                   Streamable HTTP front for sandboxed servers
  mcp-warden scan [options] -- COMMAND [ARGS...]     audit tool descriptions, pin definitions
  mcp-warden wrap [--config FILE] [options]          route a client config's servers through the warden
  mcp-warden unwrap [--config FILE]                  restore it byte for byte
  mcp-warden image build [--runtime node] [--force]  build the offline sandbox image (docker, gvisor)
  mcp-warden audit verify FILE                       check an audit log's hash chain
  mcp-warden learn [options] --out PROFILE -- COMMAND  observe a session, write a least-privilege profile
  mcp-warden replay --profile P FILE...              re-decide recorded sessions (run --record) under P

Run "mcp-warden run --help" for the options.
Exit status: 0 normal end, 2 usage/config error, 69 backend unavailable, 70 sandbox killed after a breach,
71 the server exited during start-up (before it answered initialize).`;

export const RUN_HELP = `Usage: mcp-warden run|explain [options] -- COMMAND [ARGS...]

Options:
  --profile NAME|FILE     auto (default: strongest available: gvisor > docker > bwrap), gvisor, docker,
                          bwrap, none, or a profile JSON file
  --root PATH[:ro]        a directory the server may use (repeatable); :ro mounts it read-only
  --allow-root-symlink PATH  confirm a --root whose path passes through a symlink inside a directory an
                          earlier session mounted read-write (refused otherwise: a server could have planted it)
  --allow-host PATTERN    let the server reach this host through the warden's egress proxy (repeatable):
                          api.github.com, *.example.com (subdomains), host:8443 (without a port: 80, 443)
  --env NAME[=VALUE]      pass one environment variable to the server (repeatable); nothing else is passed
  --name NAME             the server's name: its private HOME, kept across sessions, is
                          STATE/homes/NAME (default: derived from the command; see explain)
  --policy FILE           a policy JSON merged over the profile's policy
  --audit-log FILE        append hash-chained audit events to FILE (default: stderr)
  --on-breach kill|restart  after a server breach: exit 70 (default) or restart on the next request
  --strict-protocol       a non-JSON line on the server's stdout is a breach (default: dropped and
                          audited; past 1,000 lines or 1 MiB per session a breach)
  --memory MB             memory limit (backends that cannot enforce it say so)
  --cpus N                CPU limit
  --timeout MS            wall-clock limit per request (default 600000)
  --lock FILE             tool pins written by mcp-warden scan: a changed or new tool is withheld
  --record FILE           append the session's messages, verdicts and connections to FILE (JSONL, mode
                          0600; secrets redacted, file contents dropped) for mcp-warden replay
  --record-contents       keep file contents (tool and resource read results) in the record
  --warm                  docker, gvisor: start from a container of the same sandbox kept ready by a
                          per-user pool (started on first use, exits when idle); no effect elsewhere
  --learn FILE            observe the session and write a least-privilege profile to FILE, with its
                          report (FILE.report.md, .json) beside it; see mcp-warden learn --help
  --learn-network         with --learn: the egress proxy lets the server reach any public host and records
                          it (default: only the hosts the profile and --allow-host allow; others reported)
  -h, --help              this help

stdout carries the MCP protocol only; logs and warnings go to stderr.`;

export const LEARN_HELP = `Usage: mcp-warden learn [run options] --out PROFILE.json [--learn-network] -- COMMAND [ARGS...]

Runs the server exactly as mcp-warden run would (same sandbox, same policy, stdout the MCP channel),
while recording what it needed. When the client closes (or on SIGINT/SIGTERM) it writes PROFILE.json,
a least-privilege profile, and PROFILE.report.md/.json, the calls and connections behind each setting:
  roots              only the directories the requests named (:ro unless a writing tool used them)
  policy.tools.allow exactly the tools called
  network.allow      exactly the host:port pairs the egress proxy carried (false when none)
  env                the variable names the server was given
  limits             memory and threads from the observed peaks with a margin (bwrap, none)
What the policy, the proxy or the sandbox refused while learning is listed as "would need", not granted.

The server runs in a real sandbox: learn refuses the none backend unless --profile none is given.
Network while learning: the hosts the profile and --allow-host allow (others are refused and
reported); --learn-network lets any public host through the proxy and records it (private, loopback and
metadata addresses still need the profile's allowPrivate).

Options: every mcp-warden run option (see mcp-warden run --help), and
  --out FILE              where to write the learned profile (required)
  --learn-network         see above

Then review it and enforce it: mcp-warden run --profile PROFILE.json -- COMMAND`;

export const IMAGE_HELP = `Usage: mcp-warden image build [--runtime node] [--force]

Builds the runtime image the docker and gvisor profiles start from, without any registry: the node
running mcp-warden and the shared libraries it links, nothing else (no shell, no package manager),
assembled as a tar stream and imported into the local engine. The tag is a hash of the node binary, so
the image is rebuilt only when node changes; run/explain build it on first use too.

Options:
  --runtime node   the only runtime built offline (python: see images/README.md)
  --force          rebuild even when the engine already has the image`;
