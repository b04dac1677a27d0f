import type { JsonRpcId } from '../../protocol/json-rpc.ts';
import { idKey } from '../../protocol/json-rpc.ts';
import { isWardenClientRequestId, WARDEN_CLIENT_REQUEST_PREFIX } from '../../protocol/warden-ids.ts';
import type { SessionView } from '../types.ts';
import { clip, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

const show = (id: JsonRpcId): string => clip(JSON.stringify(id), 80);

/**
 * A client request must not reuse an id that is still awaiting its answer, nor one the warden answered
 * itself (timeout) while the server may still answer it: that late answer would otherwise be relayed
 * as the answer to the new request. The id is free again once the late answer arrived (and was dropped).
 */
export function checkClientRequestId(id: JsonRpcId, state: SessionView): Rejection | undefined {
  const key = idKey(id);
  if (state.clientInFlight.has(key)) {
    return reject('deny', 'protocol.duplicate-id', `request id ${show(id)} is already in flight`);
  }
  if (state.abandoned.has(key)) {
    return reject(
      'deny',
      'protocol.duplicate-id',
      `request id ${show(id)} timed out and the server may still answer it; use a new id`,
    );
  }
  return undefined;
}

/**
 * A server request must not reuse an id the client has not answered yet, nor take an id from the
 * warden's own reserved space (its approval requests to the client): the client's answer to that id
 * goes to the warden, so the server could otherwise see or steal an approval.
 */
export function checkServerRequestId(id: JsonRpcId, state: SessionView): Rejection | undefined {
  if (isWardenClientRequestId(id)) {
    return reject(
      'kill',
      'protocol.duplicate-id',
      `server request id ${show(id)} uses the prefix the warden reserves for its own requests (${WARDEN_CLIENT_REQUEST_PREFIX})`,
    );
  }
  if (!state.serverInFlight.has(idKey(id))) return undefined;
  return reject('kill', 'protocol.duplicate-id', `server request id ${show(id)} is already in flight`);
}

/** A client response must answer a server request in flight; otherwise it is dropped. */
export function checkClientResponseId(id: JsonRpcId | null, state: SessionView): Rejection | undefined {
  if (id === null) return reject('deny', 'protocol.invalid-message', 'client error response has id null');
  if (state.serverInFlight.has(idKey(id))) return undefined;
  return reject('deny', 'protocol.unknown-id', `client response to unknown request id ${show(id)}`);
}

/**
 * A server response must answer a client request in flight. A late answer to a request the warden
 * already answered (abandoned) is dropped quietly; any other unknown id (including a second answer)
 * kills, as does an error with id null.
 */
export function checkServerResponseId(id: JsonRpcId | null, state: SessionView): Rejection | undefined {
  if (id === null) return reject('kill', 'protocol.invalid-message', 'server error response has id null');
  const key = idKey(id);
  if (state.clientInFlight.has(key)) return undefined;
  if (state.abandoned.has(key)) {
    return reject('deny', 'protocol.unknown-id', `late server response to abandoned request ${show(id)}`);
  }
  return reject('kill', 'protocol.unknown-id', `server response to unknown request id ${show(id)}`);
}
