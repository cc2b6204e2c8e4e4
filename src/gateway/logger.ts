/**
 * The one logger shape of the gateway: JSON lines (pino), with every place a token or a cookie
 * could sit redacted before it is written. Bodies are never logged at all.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

/** Where a token or a cookie could sit in anything logged; pino replaces them before writing. */
export const REDACTED_PATHS = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
  'token',
  '*.token',
];

/**
 * The process logger: JSON lines on stdout, with tokens and cookies redacted.
 * @example
 * const logger = createLogger('info');
 * logger.info({ headers: { authorization: 'Bearer x' } }, 'never shows the token');
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    name: 'countersign',
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** What of an error goes to the log: its name, code and message, never a token or a body. */
export function errorSummary(error: unknown): { name?: string; code?: unknown; message?: string } {
  if (error instanceof Error) return { name: error.name, code: (error as { code?: unknown }).code, message: error.message };
  return { message: String(error) };
}
