import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** A pino logger writing JSON lines to stderr (stdout belongs to command output). */
export function createLogger(
  name: string,
  level: string = process.env.CAPTIONER_LOG_LEVEL ?? 'info',
): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
