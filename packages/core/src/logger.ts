import pino from 'pino';
import type { Logger } from 'pino';
import { describeError } from './errors';

export type { Logger };

/** A pino logger writing JSON lines to stderr (stdout belongs to command output). */
export function createLogger(
  name: string,
  level: string = process.env.CAPTIONER_LOG_LEVEL ?? 'info',
): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/**
 * A `.catch` handler for secondary work whose failure must not change the caller's outcome (progress
 * display, bookkeeping after a failure, closing a connection): the failure is logged as a warning
 * naming `what`, instead of vanishing.
 */
export function warnOnFailure(logger: Logger, what: string): (error: unknown) => void {
  return (error) => logger.warn({ error: describeError(error) }, `${what} failed`);
}
