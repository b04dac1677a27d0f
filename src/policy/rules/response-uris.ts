import type { PolicyContext } from '../types.ts';
import { anchorValue } from '../paths/anchor.ts';
import { FILE_SCHEME, surfaceForms } from '../paths/forms.ts';
import { createResolver } from '../paths/resolver.ts';
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
  const each = (list: unknown, name: string, pick: (item: Record<string, unknown>, at: string) => void) => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => {
      if (isRecord(item)) pick(item, `result.${name}[${i}]`);
    });
  };
  if (method === 'resources/list') {
    each(result.resources, 'resources', (item, at) => sites.push({ uri: item.uri, where: `${at}.uri` }));
  } else if (method === 'resources/read') {
    each(result.contents, 'contents', (item, at) => sites.push({ uri: item.uri, where: `${at}.uri` }));
  } else if (method === 'tools/call') {
    each(result.content, 'content', (item, at) => contentSites(item, at, sites));
  } else if (method === 'prompts/get') {
    // A prompt message's content is one content block, which may be a link or an embedded resource.
    each(result.messages, 'messages', (message, at) => {
      if (isRecord(message.content)) contentSites(message.content, `${at}.content`, sites);
    });
  }
  return sites;
}

/** The URI of a resource_link or embedded resource content block, if `item` is one. */
function contentSites(item: Record<string, unknown>, at: string, sites: UriSite[]): void {
  if (item.type === 'resource_link') sites.push({ uri: item.uri, where: `${at}.uri` });
  if (item.type === 'resource' && isRecord(item.resource)) {
    sites.push({ uri: item.resource.uri, where: `${at}.resource.uri` });
  }
}

function checkSites(sites: readonly UriSite[], ctx: PolicyContext): Rejection | undefined {
  const resolver = createResolver(ctx.realpath, ctx.readlink);
  for (const { uri, where } of sites) {
    // Only file: URIs name host files; a client's URL parser may see one behind whitespace or NUL.
    if (typeof uri !== 'string' || !surfaceForms(uri).some((form) => FILE_SCHEME.test(form))) continue;
    const anchoring = anchorValue(uri, ctx, resolver);
    if (!anchoring.inside) {
      return reject('kill', 'path.outside-root', `server sent ${where} that ${anchoring.why}`, uri);
    }
  }
  return undefined;
}
