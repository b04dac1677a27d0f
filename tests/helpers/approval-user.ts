import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type ElicitResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';

/** One elicitation the client received. */
export interface Asked {
  message: string;
  requestedSchema: unknown;
  /** The warden withdrew the question (notifications/cancelled aborted the handler). */
  aborted: boolean;
}

/** What the scripted user does with the next question: answer it, or never answer ("hang"). */
export type UserAnswer = ElicitResult | 'hang';

/**
 * The user at the client's end: an elicitation handler on the real SDK client that answers each of the
 * warden's questions with the next scripted answer (decline when none is queued) and records what it
 * was shown. Questions the server itself asks (not starting "mcp-warden:") get `serverAnswer`.
 */
export function scriptUser(
  client: Client,
  serverAnswer: ElicitResult = { action: 'decline' },
): { asked: Asked[]; will: (answer: UserAnswer) => void } {
  const asked: Asked[] = [];
  const answers: UserAnswer[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
    const params = request.params as { message: string; requestedSchema?: unknown };
    if (!params.message.startsWith('mcp-warden:')) return Promise.resolve(serverAnswer);
    const entry: Asked = { message: params.message, requestedSchema: params.requestedSchema, aborted: false };
    asked.push(entry);
    const answer = answers.shift() ?? { action: 'decline' };
    if (answer !== 'hang') return Promise.resolve(answer);
    return new Promise<ElicitResult>((_resolve, reject) => {
      extra.signal.addEventListener('abort', () => {
        entry.aborted = true;
        reject(new Error('the question was withdrawn'));
      });
    });
  });
  return { asked, will: (answer) => answers.push(answer) };
}

export const ALLOW_ONCE: ElicitResult = { action: 'accept', content: { decision: 'allow once' } };
export const ALLOW_SESSION: ElicitResult = {
  action: 'accept',
  content: { decision: 'allow for this session' },
};

/** The promise must reject with -32001 approval.declined; returns the error's message. */
export async function expectDeclined(promise: Promise<unknown>): Promise<string> {
  let caught: unknown;
  try {
    caught = new Error(`expected approval.declined, got ${JSON.stringify(await promise).slice(0, 300)}`);
  } catch (error) {
    caught = error;
  }
  expect(caught, String(caught)).toBeInstanceOf(McpError);
  const error = caught as McpError;
  expect({ code: error.code, rule: (error.data as { rule?: string } | undefined)?.rule }).toEqual({
    code: -32001,
    rule: 'approval.declined',
  });
  return error.message;
}

/** The `approval` events of an audit log (JSON lines), as [decision, tool] pairs. */
export function approvalEvents(logText: string): Array<[string, string]> {
  return logText
    .split('\n')
    .filter((line) => line.includes('"event":"approval"'))
    .map((line) => JSON.parse(line) as { decision: string; tool: string })
    .map((e) => [e.decision, e.tool]);
}
