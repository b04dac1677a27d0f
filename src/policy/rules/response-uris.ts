import type { PolicyContext } from '../types.ts';
import { anchorValue } from '../paths/anchor.ts';
import { hasFileScheme } from '../paths/forms.ts';
import { createResolver } from '../paths/resolver.ts';
import type { Resolver } from '../paths/resolver.ts';
import { isRecord, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

interface UriSite {
  uri: unknown;
  where: string;
}

/**
 * Server results that carry resource URIs (resources/list, resources/read, and the links and
 * embedded resources in tools/call content and prompts/get messages): every `file:` URI must lie inside the roots, else the server is killed.
 */
export function checkResultUris(
  method: string | undefined,
  result: Record<string, unknown>,
  ctx: PolicyContext,
): Rejection | undefined {
  return checkSites(resultSites(method, result), ctx);
}

/** notifications/resources/updated: params.uri must lie inside the roots when it is a file: URI. */
export function checkUpdatedUri(params: unknown, ctx: PolicyContext): Rejection | undefined {
  const uri = isRecord(params) ? params.uri : undefined;
  return checkSites([{ uri, where: 'params.uri' }], ctx);
}

function resultSites(method: string | undefined, result: Record<string, unknown>): UriSite[] {
  const sites: UriSite[] = [];
  if (method === 'resources/list') {
    eachItem(result.resources, 'resources', 'uri', sites);
  } else if (method === 'resources/read') {
    eachItem(result.contents, 'contents', 'uri', sites);
  } else if (method === 'tools/call') {
    eachItem(result.content, 'content', 'block', sites);
  } else if (method === 'prompts/get') {
    // A prompt message's content is one content block, which may be a link or an embedded resource.
    eachItem(result.messages, 'messages', 'message', sites);
  }
  return sites;
}

/**
 * The sites in each record of `list` (result.<name>): its `uri`, the URI of the content `block` it
 * is, or that of its `message`'s content block. Locations are spelt only for sites found: most
 * results (text content) have none.
 */
function eachItem(list: unknown, name: string, pick: 'uri' | 'block' | 'message', sites: UriSite[]): void {
  if (!Array.isArray(list)) return;
  for (let i = 0; i < list.length; i++) {
    const item: unknown = list[i];
    if (!isRecord(item)) continue;
    if (pick === 'uri') {
      sites.push({ uri: item.uri, where: `result.${name}[${i}].uri` });
    } else if (pick === 'block') {
      contentSites(item, name, i, '', sites);
    } else if (isRecord(item.content)) {
      contentSites(item.content, name, i, '.content', sites);
    }
  }
}

/** The URI of a resource_link or embedded resource content block, if `item` (result.<name>[i]<tail>) is one. */
function contentSites(
  item: Record<string, unknown>,
  name: string,
  i: number,
  tail: string,
  sites: UriSite[],
): void {
  if (item.type === 'resource_link') sites.push({ uri: item.uri, where: `result.${name}[${i}]${tail}.uri` });
  if (item.type === 'resource' && isRecord(item.resource)) {
    sites.push({ uri: item.resource.uri, where: `result.${name}[${i}]${tail}.resource.uri` });
  }
}

function checkSites(sites: readonly UriSite[], ctx: PolicyContext): Rejection | undefined {
  let resolver: Resolver | undefined; // made when the first file: URI needs anchoring
  for (const { uri, where } of sites) {
    // Only file: URIs name host files; a client's URL parser may see one behind whitespace or NUL.
    if (typeof uri !== 'string' || !hasFileScheme(uri)) continue;
    resolver ??= createResolver(ctx.realpath, ctx.readlink);
    const anchoring = anchorValue(uri, ctx, resolver);
    if (!anchoring.inside) {
      return reject('kill', 'path.outside-root', `server sent ${where} that ${anchoring.why}`, uri);
    }
  }
  return undefined;
}
