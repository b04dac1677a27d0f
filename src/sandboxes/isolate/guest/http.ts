// Guest shim for node:http (and, through requestFor, node:https): request() and get() send requests
// through the warden's egress proxy when the profile allows hosts; without an allowlist they throw the
// "not available under --profile isolate" error. Servers (createServer) are never available.
import { EventEmitter } from './events.ts';
import { ClientRequest, validateHeaderName, validateHeaderValue } from './http-client.ts';
import { IncomingMessage } from './http-incoming.ts';
import { requestFor } from './http-options.ts';
import { unavailable } from './unavailable.ts';

export const METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND',
  'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE',
  'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
]; // prettier-ignore

export const STATUS_CODES: Record<string, string> = {
  100: 'Continue', 101: 'Switching Protocols', 102: 'Processing', 103: 'Early Hints', 200: 'OK',
  201: 'Created', 202: 'Accepted', 203: 'Non-Authoritative Information', 204: 'No Content',
  205: 'Reset Content', 206: 'Partial Content', 207: 'Multi-Status', 208: 'Already Reported',
  226: 'IM Used', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
  304: 'Not Modified', 305: 'Use Proxy', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 409: 'Conflict', 410: 'Gone', 411: 'Length Required',
  412: 'Precondition Failed', 413: 'Payload Too Large', 414: 'URI Too Long',
  415: 'Unsupported Media Type', 416: 'Range Not Satisfiable', 417: 'Expectation Failed',
  418: "I'm a Teapot", 421: 'Misdirected Request', 422: 'Unprocessable Entity', 423: 'Locked',
  424: 'Failed Dependency', 425: 'Too Early', 426: 'Upgrade Required', 428: 'Precondition Required',
  429: 'Too Many Requests', 431: 'Request Header Fields Too Large', 451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout', 505: 'HTTP Version Not Supported', 506: 'Variant Also Negotiates',
  507: 'Insufficient Storage', 508: 'Loop Detected', 509: 'Bandwidth Limit Exceeded',
  510: 'Not Extended', 511: 'Network Authentication Required',
}; // prettier-ignore

/** http.Agent: kept for the options clients read from it; connections are always the host's own. */
export class Agent extends EventEmitter {
  readonly options: Record<string, unknown>;
  defaultPort = 80;
  protocol = 'http:';
  maxSockets = Number.POSITIVE_INFINITY;
  maxFreeSockets = 256;
  keepAlive: boolean;
  sockets: Record<string, unknown[]> = {};
  freeSockets: Record<string, unknown[]> = {};
  requests: Record<string, unknown[]> = {};
  constructor(options: Record<string, unknown> = {}) {
    super();
    this.options = { ...options };
    this.keepAlive = options.keepAlive === true;
  }
  destroy(): void {}
}
export const globalAgent = new Agent();

export const { request, get } = requestFor('http');

/** OutgoingMessage exists for instanceof checks and subclassing; only ClientRequest sends anything. */
export class OutgoingMessage extends EventEmitter {}

export const createServer = unavailable('http', 'createServer');
export const Server = unavailable('http', 'Server');
export const ServerResponse = unavailable('http', 'ServerResponse');
export const setGlobalProxyFromEnv = unavailable('http', 'setGlobalProxyFromEnv');
export const WebSocket = unavailable('http', 'WebSocket');
export const CloseEvent = unavailable('http', 'CloseEvent');
export const MessageEvent = unavailable('http', 'MessageEvent');
export const _connectionListener = unavailable('http', '_connectionListener');
export const maxHeaderSize = 16384;
export const setMaxIdleHTTPParsers = (): void => undefined;

export { ClientRequest, IncomingMessage, validateHeaderName, validateHeaderValue };

export default {
  METHODS,
  STATUS_CODES,
  Agent,
  ClientRequest,
  IncomingMessage,
  OutgoingMessage,
  Server,
  ServerResponse,
  createServer,
  validateHeaderName,
  validateHeaderValue,
  get,
  request,
  setMaxIdleHTTPParsers,
  setGlobalProxyFromEnv,
  maxHeaderSize,
  globalAgent,
  WebSocket,
  CloseEvent,
  MessageEvent,
  _connectionListener,
};
