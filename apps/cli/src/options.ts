import { InvalidArgumentError } from 'commander';

/** Commander parser for integer options: a clear usage error instead of NaN. */
export function intOption(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return parsed;
}

export function positiveIntOption(value: string): number {
  const parsed = intOption(value);
  if (parsed <= 0) throw new InvalidArgumentError(`"${value}" must be positive`);
  return parsed;
}

export function nonNegativeIntOption(value: string): number {
  const parsed = intOption(value);
  if (parsed < 0) throw new InvalidArgumentError(`"${value}" must be 0 or more`);
  return parsed;
}
