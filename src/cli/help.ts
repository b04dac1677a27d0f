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
  -h, --help              this help

stdout carries the MCP protocol only; logs and warnings go to stderr.`;

export const IMAGE_HELP = `Usage: mcp-warden image build [--runtime node] [--force]

Builds the runtime image the docker and gvisor profiles start from, without any registry: the node
running mcp-warden and the shared libraries it links, nothing else (no shell, no package manager),
assembled as a tar stream and imported into the local engine. The tag is a hash of the node binary, so
the image is rebuilt only when node changes; run/explain build it on first use too.

Options:
  --runtime node   the only runtime built offline (python: see images/README.md)
  --force          rebuild even when the engine already has the image`;
