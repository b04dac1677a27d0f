// One MCP session through the SDK client: cold start is spawn → initialize result.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Launch } from './modes.ts';

export interface Session {
  client: Client;
  /** Milliseconds from spawn to the initialize result. */
  coldMs: number;
  /** Pid of the process spawned (the warden, srt, or the server itself). */
  pid: number | null;
  /** What the process wrote on stderr (for reporting why a mode failed). */
  stderr(): string;
  close(): Promise<void>;
}

export async function openSession(launch: Launch): Promise<Session> {
  const transport = new StdioClientTransport({
    command: launch.command,
    args: launch.args,
    env: launch.env,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const client = new Client({ name: 'mcp-warden-bench', version: '1' });
  const start = performance.now();
  try {
    await client.connect(transport);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`, {
      cause: error,
    });
  }
  const coldMs = performance.now() - start;
  return { client, coldMs, pid: transport.pid, stderr: () => stderr, close: () => client.close() };
}
