import { InvalidInputError } from '@captioner/core';
import type { z } from 'zod';

/**
 * Parses request input with a zod schema; a failure is an InvalidInputError (400) whose one-line
 * message names the field, e.g. `body.dataset: Invalid input: expected string, received undefined`.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: 'body' | 'params' | 'query',
): z.infer<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  throw new InvalidInputError(`${field}: ${issue.message}`);
}
