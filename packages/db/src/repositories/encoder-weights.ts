import fs from 'node:fs';
import { ConfigError, InvalidInputError } from '@captioner/core';
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

/**
 * Names registered weights may have: no path separator, no URL scheme and no state-dict extension, so
 * that `model.encoder.weights` tells a name from a path or URL by its spelling.
 */
export const ENCODER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isEncoderWeightsName(value: string): boolean {
  return ENCODER_NAME_PATTERN.test(value) && !/\.(pth|pt|safetensors)$/i.test(value);
}

/**
 * `model.encoder.weights` as a file the encoder loads: a registered name becomes its copy under
 * CAPTIONER_HOME (its architecture must be the encoder's kind); a path or URL is returned unchanged. A bare
 * word that is neither registered nor an existing file is refused by name (a typo must not train a
 * randomly initialised encoder, nor fail hours later).
 */
export async function resolveEncoderWeights<T extends { kind: string; weights?: string }>(
  db: DbClient,
  encoder: T,
): Promise<T> {
  const weights = encoder.weights;
  if (weights === undefined || !isEncoderWeightsName(weights)) return encoder;
  const found = await findEncoderWeights(db, weights);
  if (!found) {
    if (fs.existsSync(weights)) return encoder;
    throw new ConfigError(
      `model.encoder.weights: no encoder named ${weights} is registered (captioner encoder list; captioner encoder import FILE --arch ${encoder.kind} --name ${weights})`,
    );
  }
  if (found.architecture !== encoder.kind)
    throw new ConfigError(
      `model.encoder.weights: encoder ${weights} is a ${found.architecture}, but model.encoder.kind is ${encoder.kind} (--set model.encoder.kind=${found.architecture})`,
    );
  return { ...encoder, weights: found.path };
}
