/**
 * Severities of scan findings, lowest first (src/scan). A plain constant in its own module so the
 * session's modules can rank findings without loading zod (start-up time: see policy-schema.ts).
 */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
