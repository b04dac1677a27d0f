import { definitionHash } from '../../scan/definition-hash.ts';
import { definitionName, reviewDefinition } from '../../scan/review-definition.ts';
import type { DefinitionKind, Finding } from '../../scan/review-definition.ts';
import { atLeast, worst } from '../../scan/severity.ts';
import type { Policy } from '../../config/policy-schema.ts';
import type { PolicyContext, SessionView, ToolsReview, WithheldDefinition, WithheldTool } from '../types.ts';
import { clip, isRecord, reject } from './shared.ts';
import type { Rejection } from './shared.ts';

/** The tools a tools/list result still shows after review, and what to record. */
export interface ListingReview {
  kept: unknown[];
  review: ToolsReview;
}

/**
 * Review the tools of one tools/list result against the pins (rule tool.definition-changed) and the
 * poison detectors (rule tool.description-poisoned). A tool that fails either is withheld: left out of
 * the listing and its calls denied, the rest of the server keeps working. Pins come from the lock file
 * when there is one (a tool missing from it counts as changed), else from the tool's first listing in
 * the session (trust on first use). Pure.
 */
export function reviewToolDefinitions(
  tools: readonly unknown[],
  state: SessionView,
  ctx: PolicyContext,
): ListingReview {
  const guards = ctx.policy.guards;
  const kept: unknown[] = [];
  const pin: [string, string][] = [];
  const withhold: [string, WithheldTool][] = [];
  const release: string[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || typeof tool.name !== 'string') {
      kept.push(tool); // filterToolsList drops nameless entries
      continue;
    }
    const verdict = judge(tool, tool.name, state, ctx, guards, pin);
    if (verdict) withhold.push([tool.name, verdict]);
    else {
      kept.push(tool);
      if (state.withheld.has(tool.name)) release.push(tool.name);
    }
  }
  return { kept, review: { pin, withhold, release } };
}

function judge(
  tool: Record<string, unknown>,
  name: string,
  state: SessionView,
  ctx: PolicyContext,
  guards: Policy['guards'],
  pin: [string, string][],
): WithheldTool | undefined {
  if (guards.pinTools) {
    const hash = definitionHash(tool);
    const pinned = ctx.lock ? ctx.lock.get(name) : state.pins.get(name);
    if (pinned === undefined && ctx.lock) {
      return {
        rule: 'tool.definition-changed',
        reason: `tool "${clip(name, 100)}" is not in the lock file; approve it with mcp-warden scan --update`,
      };
    }
    if (pinned === undefined) pin.push([name, hash]);
    else if (pinned !== hash) {
      return {
        rule: 'tool.definition-changed',
        reason: `the definition of tool "${clip(name, 100)}" changed since it was ${ctx.lock ? 'approved' : 'first listed'}; approve it with mcp-warden scan --update`,
      };
    }
  }
  if (guards.poisonedTools !== 'off') {
    const findings = reviewDefinition('tool', tool);
    const severity = worst(findings.map((f) => f.severity));
    if (severity && atLeast(severity, guards.poisonedTools)) {
      const first = findings.find((f) => f.severity === severity);
      return {
        rule: 'tool.description-poisoned',
        reason: `tool "${clip(name, 100)}" withheld: ${first?.message ?? 'poisoned definition'} (${first?.where ?? ''})`,
      };
    }
  }
  return undefined;
}

/** tools/call of a withheld tool: denied with the rule that withheld it. */
export function checkWithheldTool(params: unknown, state: SessionView): Rejection | undefined {
  if (state.withheld.size === 0) return undefined;
  const name = isRecord(params) ? params.name : undefined;
  const withheld = typeof name === 'string' ? state.withheld.get(name) : undefined;
  return withheld ? reject('deny', withheld.rule, withheld.reason) : undefined;
}

/** Listings of definitions other than tools: the result member that holds the list, and its kind. */
const LISTINGS: Readonly<Record<string, readonly [string, 'prompt' | 'resource' | 'resource-template']>> = {
  'prompts/list': ['prompts', 'prompt'],
  'resources/list': ['resources', 'resource'],
  'resources/templates/list': ['resourceTemplates', 'resource-template'],
};

/** A result with poisoned definitions left out, and what was left out. */
export interface DefinitionsReview {
  result: Record<string, unknown>;
  withheld: WithheldDefinition[];
}

/**
 * The other places a server puts text before the model as guidance rather than as data: the prompts,
 * resources and resource templates it lists, and its initialize `instructions`. They get the poison
 * detectors tools get, at the same threshold (guards.poisonedTools, rule tool.description-poisoned),
 * and the same outcome: what has a finding at or above it is withheld — left out of the listing, or
 * the instructions dropped from the initialize result — and the rest of the server keeps working.
 * Undefined when the method lists nothing of the kind or nothing was withheld. Pure.
 */
export function reviewOtherDefinitions(
  method: string | undefined,
  result: Record<string, unknown>,
  ctx: PolicyContext,
): DefinitionsReview | undefined {
  const threshold = ctx.policy.guards.poisonedTools;
  if (threshold === 'off' || method === undefined) return undefined;
  if (method === 'initialize') return reviewInstructions(result, threshold);
  const listing = LISTINGS[method];
  if (!listing) return undefined;
  const [member, kind] = listing;
  const items = result[member];
  if (!Array.isArray(items)) return undefined;
  const kept: unknown[] = [];
  const withheld: WithheldDefinition[] = [];
  for (const item of items) {
    const finding = isRecord(item) ? poisonFinding(kind, item, threshold) : undefined;
    if (!finding || !isRecord(item)) {
      kept.push(item);
      continue;
    }
    const name = definitionName(item, kind);
    withheld.push({
      kind,
      name: clip(name, 200),
      rule: 'tool.description-poisoned',
      reason: `${kind} "${clip(name, 100)}" withheld: ${finding.message} (${finding.where})`,
    });
  }
  if (withheld.length === 0) return undefined;
  return { result: { ...result, [member]: kept }, withheld };
}

function reviewInstructions(
  result: Record<string, unknown>,
  threshold: Exclude<Policy['guards']['poisonedTools'], 'off'>,
): DefinitionsReview | undefined {
  const { instructions } = result;
  if (typeof instructions !== 'string') return undefined;
  const finding = poisonFinding('prompt', { instructions }, threshold);
  if (!finding) return undefined;
  const copy = { ...result };
  delete copy.instructions;
  return {
    result: copy,
    withheld: [
      {
        kind: 'instructions',
        name: 'instructions',
        rule: 'tool.description-poisoned',
        reason: `the server's instructions withheld: ${finding.message}`,
      },
    ],
  };
}

/** The worst finding of a definition when it reaches `threshold`, else undefined. */
function poisonFinding(
  kind: DefinitionKind,
  definition: Record<string, unknown>,
  threshold: Exclude<Policy['guards']['poisonedTools'], 'off'>,
): Finding | undefined {
  const findings = reviewDefinition(kind, definition);
  const severity = worst(findings.map((f) => f.severity));
  if (!severity || !atLeast(severity, threshold)) return undefined;
  return findings.find((f) => f.severity === severity);
}
