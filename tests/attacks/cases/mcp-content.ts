// Server content that reaches the client past the checks (issue 20 item 14).
import type { AttackCase } from '../types.ts';

export const MCP_CONTENT_CASES: AttackCase[] = [];
