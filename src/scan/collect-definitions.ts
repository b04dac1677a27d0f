import type { StdioRpc } from './stdio-rpc.ts';

/** Everything a server lists, as raw objects. `toolsAgain` is a second tools/list, to catch rug pulls. */
export interface ServerDefinitions {
  tools: Record<string, unknown>[];
  prompts: Record<string, unknown>[];
  resources: Record<string, unknown>[];
  resourceTemplates: Record<string, unknown>[];
  toolsAgain: Record<string, unknown>[];
  /** The server's initialize instructions, when it sends any (checked like a description). */
  instructions?: string;
}

/** Handshake, then list tools, prompts, resources and templates (every page), then tools once more. */
export async function collectDefinitions(rpc: StdioRpc): Promise<ServerDefinitions> {
  const init = await rpc.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'mcp-warden-scan', version: '0.1.0' },
  });
  rpc.notify('notifications/initialized');
  const caps = (init.capabilities ?? {}) as Record<string, unknown>;
  const tools = caps.tools ? await listAll(rpc, 'tools/list', 'tools') : [];
  const prompts = caps.prompts ? await listAll(rpc, 'prompts/list', 'prompts') : [];
  const resources = caps.resources ? await listAll(rpc, 'resources/list', 'resources') : [];
  const resourceTemplates = caps.resources
    ? await listAll(rpc, 'resources/templates/list', 'resourceTemplates').catch(() => [])
    : [];
  const toolsAgain = caps.tools ? await listAll(rpc, 'tools/list', 'tools') : [];
  return {
    tools,
    prompts,
    resources,
    resourceTemplates,
    toolsAgain,
    ...(typeof init.instructions === 'string' ? { instructions: init.instructions } : {}),
  };
}

async function listAll(rpc: StdioRpc, method: string, key: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let cursor: unknown;
  for (let page = 0; page < 100; page++) {
    const result = await rpc.request(method, typeof cursor === 'string' ? { cursor } : {});
    const items = Array.isArray(result[key]) ? (result[key] as unknown[]) : [];
    for (const item of items)
      if (item && typeof item === 'object' && !Array.isArray(item)) out.push(item as Record<string, unknown>);
    cursor = result.nextCursor;
    if (typeof cursor !== 'string' || cursor === '') break;
  }
  return out;
}
