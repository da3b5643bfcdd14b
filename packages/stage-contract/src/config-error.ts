import { ConfigError } from '@captioner/core';
import type { z } from 'zod';

/**
 * One line naming the first bad field, e.g. `run config: training.epocs: unknown key`. zod reports
 * unknown keys on their parent object; the message names the key itself, so a typo is found at once.
 */
export function configErrorFrom(
  label: string,
  error: z.ZodError,
  prefix: readonly PropertyKey[] = [],
): ConfigError {
  const issue = error.issues[0];
  const at = (path: readonly PropertyKey[]) => [...prefix, ...path].map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => at([...issue.path, key]));
    return new ConfigError(`${label}: ${keys.join(', ')}: unknown key${keys.length > 1 ? 's' : ''}`);
  }
  const where = at(issue.path);
  return new ConfigError(`${label}: ${where ? `${where}: ` : ''}${issue.message}`);
}
