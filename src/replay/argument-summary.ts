import { redactSecrets } from '../guards/redact-secrets.ts';
import { sanitizeReason } from '../protocol/wire-errors.ts';
import { isRecord } from '../util/is-record.ts';

/** Strings up to this long are shown whole (paths are always shown, truncated to PATH_MAX). */
const SHORT = 40;
const PATH_MAX = 120;
const TOTAL_MAX = 300;

/**
 * A one-line summary of a request's arguments for a replay report: `key=value, …`. Paths (and short
 * strings) are shown, truncated; longer text only by its length (`<1234 chars>`), so a written
 * file's contents never reach a CI log; credentials are redacted again (a record is redacted already,
 * but a report must not trust a file it was handed); escapes and controls are neutralised.
 */
export function summarizeArguments(args: unknown): string {
  if (args === undefined) return '';
  const text = isRecord(args)
    ? Object.entries(args)
        .map(([key, value]) => `${key}=${summarizeValue(value)}`)
        .join(', ')
    : summarizeValue(args);
  return sanitizeReason(redactSecrets(text)?.text ?? text, TOTAL_MAX);
}

function summarizeValue(value: unknown): string {
  if (typeof value === 'string') return summarizeString(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 3).map(summarizeValue);
    return `[${shown.join(', ')}${value.length > 3 ? `, … ${value.length} items` : ''}]`;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    return `{${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}}`;
  }
  return String(value);
}

function summarizeString(value: string): string {
  if (looksLikePath(value)) {
    return JSON.stringify(value.length <= PATH_MAX ? value : `${value.slice(0, PATH_MAX - 1)}…`);
  }
  return value.length <= SHORT ? JSON.stringify(value) : `<${value.length} chars>`;
}

function looksLikePath(value: string): boolean {
  return /^(?:\/|~|file:|\.\.?\/)/.test(value) || value.includes('/../');
}
