import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';

/** Commander parser for integer options: a clear usage error instead of NaN. */
export function intOption(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not an integer`);
  return parsed;
}

/** Commander parser for non-negative numbers (length penalty). */
export function nonNegativeNumberOption(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0)
    throw new InvalidArgumentError(`"${value}" is not a non-negative number`);
  return parsed;
}

export function positiveIntOption(value: string): number {
  const parsed = intOption(value);
  if (parsed <= 0) throw new InvalidArgumentError(`"${value}" must be positive`);
  return parsed;
}

export function nonNegativeIntOption(value: string): number {
  const parsed = intOption(value);
  if (parsed < 0) throw new InvalidArgumentError(`"${value}" must not be negative`);
  return parsed;
}

/**
 * Adds the decoding options shared by `eval` and `caption` (besides --beam), each left undefined when
 * not given, so that the defaults (of the evaluation payload, or of the run or bundle) apply.
 */
export function withDecodingOptions(command: Command): Command {
  return command
    .option(
      '--length-penalty <alpha>',
      'rank beams by logProb / length^alpha (default 0)',
      nonNegativeNumberOption,
    )
    .option(
      '--ban-repeated-ngram <n>',
      'never repeat an n-gram of n words within a caption (default 0: repeats allowed)',
      nonNegativeIntOption,
    )
    .option('--max-length <words>', "longest caption (default: the decoder's maxLength)", positiveIntOption);
}

/** The parsed decoding options of a command, only those given. */
export function decodingOptions(opts: {
  lengthPenalty?: number;
  banRepeatedNgram?: number;
  maxLength?: number;
}): { lengthPenalty?: number; noRepeatNgramSize?: number; maxLength?: number } {
  return {
    ...(opts.lengthPenalty === undefined ? {} : { lengthPenalty: opts.lengthPenalty }),
    ...(opts.banRepeatedNgram === undefined ? {} : { noRepeatNgramSize: opts.banRepeatedNgram }),
    ...(opts.maxLength === undefined ? {} : { maxLength: opts.maxLength }),
  };
}
