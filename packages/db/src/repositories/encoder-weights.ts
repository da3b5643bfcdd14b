import { InvalidInputError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';

export interface EncoderWeightsInput {
  name: string;
  architecture: string;
  format: string;
  path: string;
  sha256: string;
  bytes: number;
  source: string;
}

/**
 * Registers pretrained encoder weights under a name. The same name with the same file (SHA-256) again
 * returns the existing row (importing twice is harmless); with another file it is refused, so a name
 * always means the same weights and runs that used it stay reproducible.
 */
export async function registerEncoderWeights(db: DbClient, input: EncoderWeightsInput) {
  const existing = await findEncoderWeights(db, input.name);
  if (existing) {
    assertSameWeights(existing, input);
    return existing;
  }
  return db.encoderWeights.create({ data: { id: newId('enc'), ...input } });
}

/** Refuses to give an existing name to other weights (a different hash or architecture). */
export function assertSameWeights(
  existing: { name: string; sha256: string; architecture: string },
  input: { sha256: string; architecture: string },
): void {
  if (existing.sha256 !== input.sha256 || existing.architecture !== input.architecture)
    throw new InvalidInputError(
      `encoder ${existing.name} is already registered with other weights (${existing.architecture}, sha256 ${existing.sha256.slice(0, 12)}…): choose another --name`,
    );
}

export async function listEncoderWeights(db: DbClient) {
  return db.encoderWeights.findMany({ orderBy: { createdAt: 'asc' } });
}

/** The registered weights of that name, or null. */
export async function findEncoderWeights(db: DbClient, name: string) {
  return db.encoderWeights.findUnique({ where: { name } });
}
