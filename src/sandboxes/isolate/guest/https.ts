// Guest shim for node:https: the http shim's request/get with https defaults (port 443, TLS done by the
// host inside a CONNECT tunnel through the warden's egress proxy, SNI = the host name).
import { Agent as HttpAgent } from './http.ts';
import { requestFor } from './http-options.ts';
import { unavailable } from './unavailable.ts';

/** https.Agent: its `ca` and `rejectUnauthorized` options apply to requests made with it. */
export class Agent extends HttpAgent {
  override defaultPort = 443;
  override protocol = 'https:';
}
export const globalAgent = new Agent();
export const { request, get } = requestFor('https');
export const createServer = unavailable('https', 'createServer');
export const Server = unavailable('https', 'Server');

export default { Agent, globalAgent, request, get, createServer, Server };
