import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@captioner/core';

/** True for `http(s)://` locations (read with fetch); anything else is a directory on disk. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Resolves `name` inside a directory or under a URL. */
export function resolveArtifact(location: string, name: string): string {
  return isUrl(location) ? new URL(name, location.endsWith('/') ? location : `${location}/`).toString() : path.join(location, name);
}

/** Reads one file of an artifact directory or URL; a missing file is a NotFoundError naming it. */
export async function readArtifact(location: string, name: string): Promise<Uint8Array> {
  const where = resolveArtifact(location, name);
  if (isUrl(location)) {
    const response = await fetch(where);
    if (!response.ok) throw new NotFoundError(`${where}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return new Uint8Array(await fs.readFile(where));
  } catch {
    throw new NotFoundError(`${where} does not exist`);
  }
}

/** SHA-256 in hex with WebCrypto (same code in Node and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
