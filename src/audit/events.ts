import type { Direction, RuleId } from '../policy/types.ts';

/** Every audit event has an `event` discriminator; these are the only kinds ever written. */
export type AuditEvent =
  | { event: 'session.start'; profile: string; backend: string; roots: string[]; command: string[] }
  | { event: 'session.end'; reason: string; exitCode: number }
  | { event: 'sandbox.start'; backend: string; pid: number; generation: number }
  | { event: 'sandbox.stop'; pid: number; code: number | null; signal: string | null; reason: string }
  | {
      event: 'verdict';
      direction: Direction;
      action: 'deny' | 'kill';
      rule: RuleId;
      reason: string;
      method?: string;
      tool?: string;
      /** Redacted detail: never an argument value or file content; paths are truncated and escaped. */
      detail?: string;
    };

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Make a short, single-line, escape-free string safe for logs. */
export function redactDetail(value: string, max = 256): string {
  const clean = value.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > max ? `${clean.slice(0, max)}…(${clean.length - max} more chars)` : clean;
}
