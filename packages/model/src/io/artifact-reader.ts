import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@captioner/core';
import { artifactUrl, fetchArtifact, isUrl } from './fetch-artifact';

// Node only (node:fs); the browser-safe parts live in fetch-artifact.ts and sha256.ts.
export { isUrl } from './fetch-artifact';
export { sha256Hex } from './sha256';

/** Resolves `name` inside a directory or under a URL. */
export function resolveArtifact(location: string, name: string): string {
  return isUrl(location) ? artifactUrl(location, name) : path.join(location, name);
}

/** Reads one file of an artifact directory or URL; a missing file is a NotFoundError naming it. */
export async function readArtifact(location: string, name: string): Promise<Uint8Array> {
  if (isUrl(location)) return fetchArtifact(location, name);
  const where = resolveArtifact(location, name);
  try {
    return new Uint8Array(await fs.readFile(where));
  } catch {
    throw new NotFoundError(`${where} does not exist`);
  }
}
