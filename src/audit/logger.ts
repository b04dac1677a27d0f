import { pino, type Logger } from 'pino';

/**
 * Diagnostic log (not the audit log): pino JSON lines on fd 2, synchronous so nothing is lost when the
 * warden exits right after logging. Never stdout: that is the MCP channel.
 * Level from MCP_WARDEN_LOG_LEVEL (default "info"; "silent" turns it off).
 */
export function createLogger(): Logger {
  const level = process.env.MCP_WARDEN_LOG_LEVEL ?? 'info';
  return pino(
    {
      name: 'mcp-warden',
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
