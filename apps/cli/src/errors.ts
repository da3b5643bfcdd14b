import { CaptionerError, describeError } from '@captioner/core';

/** Exit codes: 0 success, 1 failure, 2 bad usage or bad configuration (nothing was done). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Prints one line for any error, never a stack trace (set CAPTIONER_DEBUG=1 to see it). */
export function reportError(error: unknown): number {
  const code =
    error instanceof CaptionerError && (error.code === 'usage' || error.code === 'config')
      ? EXIT_USAGE
      : EXIT_FAILURE;
  process.stderr.write(`captioner: error: ${describeError(error)}\n`);
  if (process.env.CAPTIONER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return code;
}
