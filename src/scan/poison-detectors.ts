/* eslint-disable no-control-regex -- detecting and showing control characters is the point of this file */
import type { Severity } from './severity.ts';

/** One problem in one text of a definition. */
export interface TextFinding {
  detector: string;
  severity: Severity;
  message: string;
  /** A short, escaped excerpt around the match (never more than 80 characters). */
  excerpt?: string;
}

/** Largest description a tool plausibly needs; past this the text is a place to hide instructions. */
export const MAX_DESCRIPTION_CHARS = 4096;

interface Detector {
  id: string;
  severity: Severity;
  message: string;
  regex: RegExp;
}

// Each detector looks at one string of a definition. They are tuned against the real servers in
// tests/integration/scan.test.ts: ordinary "Read the contents of a file" wording must not trip them.
// The warden runs them on what an untrusted server lists, so each must take time linear in the text
// (tests/unit/guards/linear-time.test.ts): unbounded runs end at a character their class excludes,
// repetitions never nest, and a start that fails cannot be retried inside the run it read.
const DETECTORS: readonly Detector[] = [
  {
    id: 'hidden-instructions',
    severity: 'critical',
    message: 'hidden instruction block addressed to the model',
    // `[^<>]*>` and a comment body that stops at the next `<!--`: a start that fails never rescans
    // the text of another start, so the search stays linear (see DETECTORS above).
    regex:
      /<\s*(?:\/\s*)?(?:important|system|instructions?|secret|hidden|admin|assistant|prompt)\b[^<>]*>|\[\/?INST\]|<\|im_(?:start|end)\|>|<!--(?:(?!<!--|-->)[\s\S])*-->/i,
  },
  {
    id: 'instruction-override',
    severity: 'critical',
    message: 'tries to override the model’s instructions or hide things from the user',
    regex:
      /\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|other)\s+(?:instructions|rules|prompts?)|\b(?:do\s+not|don['’]t|never)\s+(?:tell|inform|mention|show|reveal|notify)\b[^.]{0,40}\buser\b|\bwithout\s+(?:telling|informing|notifying|asking)\s+the\s+user\b/i,
  },
  {
    id: 'secret-access',
    severity: 'critical',
    message: 'asks for secrets or credential files',
    regex:
      /~\/\.ssh|\.ssh\/|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws\/credentials|\/etc\/(?:passwd|shadow)|\.netrc\b|\.npmrc\b|\.pgpass\b|\bmcp\.json\b|claude_desktop_config|\b(?:read|send|include|pass|provide|upload|paste|extract|exfiltrate)\b[^.]{0,60}\b(?:private\s+keys?|api[\s_-]?keys?|passwords?|credentials|secret\s+keys?|access\s+tokens?|\.env)\b/i,
  },
  {
    id: 'cross-tool',
    severity: 'high',
    message: 'tells the model to call other tools or change how other tools are used',
    regex:
      /\b(?:before|after|instead\s+of)\s+(?:using|calling|invoking)\s+(?:this|any|every|the\s+\w+)\s+tool\b|\b(?:must|always|first)\s+(?:call|invoke|run|use)\s+(?:the\s+)?[`'"]?\w+[`'"]?\s+tool\b|\bwhen\s+(?:the\s+)?\w+\s+tool\s+is\s+(?:called|used)\b|\b(?:all|every)\s+(?:other\s+)?(?:tool\s+calls?|emails?|messages?)\s+(?:must|should)\b/i,
  },
  {
    id: 'ansi-escape',
    severity: 'high',
    regex: /[\u001b\u0080-\u009f]/,
    message: 'terminal escape sequence (can hide or recolour text)',
  },
  {
    id: 'bidi-control',
    severity: 'high',
    regex: /[\u202a-\u202e\u2066-\u2069]/,
    message: 'bidi control character (reorders what a human reads)',
  },
  {
    id: 'invisible-characters',
    severity: 'high',
    regex: /[\u200b-\u200d\u2060-\u2064\u180e\ufeff]|\udb40[\udc00-\udc7f]/,
    message: 'zero-width or tag characters (text the user cannot see)',
  },
];

/** Run every detector on one string. Pure; at most one finding per detector. */
export function detectInText(text: string): TextFinding[] {
  const findings: TextFinding[] = [];
  for (const detector of DETECTORS) {
    const match = detector.regex.exec(text);
    if (!match) continue;
    findings.push({
      detector: detector.id,
      severity: detector.severity,
      message: detector.message,
      excerpt: excerpt(text, match.index, match[0].length),
    });
  }
  if (text.length > MAX_DESCRIPTION_CHARS) {
    findings.push({
      detector: 'oversized-text',
      severity: 'medium',
      message: `${text.length} characters (more than ${MAX_DESCRIPTION_CHARS}): room to hide instructions`,
    });
  }
  return findings;
}

/** A one-line, escape-free excerpt around a match: invisible characters are shown as \uXXXX. */
function excerpt(text: string, at: number, length: number): string {
  const start = Math.max(0, at - 20);
  const slice = text.slice(start, Math.min(text.length, at + Math.min(length, 40) + 20));
  const shown = slice.replace(
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]|[\ud800-\udfff]/g,
    (ch) => (ch === '\n' ? ' ' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
  return `${start > 0 ? '…' : ''}${shown.slice(0, 80)}${at + length + 20 < text.length ? '…' : ''}`;
}
