import { createHash } from 'node:crypto';
import type { Split } from '../manifest';

/**
 * 80/10/10 split from a hash of the image id, for sources that give no split. It depends on the id
 * alone, so an image keeps its split when images are added to or removed from the data set.
 */
export function hashSplit(id: string): Split {
  const bucket = createHash('sha1').update(id).digest().readUInt32BE(0) % 100;
  if (bucket < 80) return 'train';
  return bucket < 90 ? 'val' : 'test';
}

/** Split names users write, mapped to ours; undefined for an unknown name. */
export function parseSplitName(value: string): Split | undefined {
  const name = value.trim().toLowerCase();
  if (name === 'train' || name === 'restval' || name === 'val' || name === 'test') return name;
  if (name === 'dev' || name === 'valid' || name === 'validation') return 'val';
  return undefined;
}
