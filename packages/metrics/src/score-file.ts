import { InvalidInputError } from '@captioner/core';
import { z } from 'zod';
import type { CaptionSet } from './score-captions';

/** The file `captioner score FILE.json` reads: references and one candidate per image id. */
export const scoreFileSchema = z.strictObject({
  /** Reference captions per image id; every id needs at least one. */
  refs: z.record(z.string(), z.array(z.string())),
  /** The caption to score per image id; every id must have references. */
  cands: z.record(z.string(), z.string()),
});

/**
 * Parses and checks a score file. Every problem is a one-line InvalidInputError naming the file and
 * the field or image id.
 */
export function parseScoreFile(text: string, fileName: string): CaptionSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${fileName}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = scoreFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new InvalidInputError(`${fileName}: ${field}: ${issue.message.split('\n')[0]}`);
  }
  const { refs, cands } = parsed.data;
  for (const [id, captions] of Object.entries(refs)) {
    if (captions.length === 0)
      throw new InvalidInputError(`${fileName}: refs.${id}: image id "${id}" has no references`);
  }
  for (const id of Object.keys(cands)) {
    if (!Object.hasOwn(refs, id)) {
      throw new InvalidInputError(
        `${fileName}: cands.${id}: candidate for image id "${id}" that has no references`,
      );
    }
  }
  return { refs, cands };
}
