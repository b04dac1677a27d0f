import type { Policy } from '../../config/policy-schema.ts';
import { clip, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** Client requests and notifications must be listed exactly in policy.methods.client. */
export function checkClientMethod(method: string, policy: Policy): Rejection | undefined {
  if (policy.methods.client.includes(method)) return undefined;
  return reject('deny', 'method.not-allowed', `method "${clip(method, 100)}" is not allowed`);
}

/** Server requests and notifications outside their allowlists kill the sandbox. */
export function checkServerMethod(
  kind: 'request' | 'notification',
  method: string,
  policy: Policy,
): Rejection | undefined {
  const name = clip(method, 100);
  if (kind === 'request') {
    if (policy.methods.serverRequests.includes(method)) return undefined;
    return reject('kill', 'server.request-not-allowed', `server request "${name}" is not allowed`);
  }
  if (policy.methods.serverNotifications.includes(method)) return undefined;
  return reject('kill', 'method.not-allowed', `server notification "${name}" is not allowed`);
}
