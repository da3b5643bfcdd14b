import { NotFoundError } from '@captioner/core/errors';

/**
 * Reading artifacts over HTTP with `fetch`: browser-safe (no Node modules are reachable from here), used by
 * the Node reader for `http(s)://` locations and by the browser entry for everything.
 */

/** True for `http(s)://` locations (read with fetch); anything else is a directory on disk. */
export function isUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** `name` (a `/`-separated relative path) under a base URL; the base is treated as a directory. */
export function artifactUrl(location: string, name: string): string {
  return new URL(name, location.endsWith('/') ? location : `${location}/`).toString();
}

/** Reads one file under a URL; a missing file (any non-2xx answer) is a NotFoundError naming it. */
export async function fetchArtifact(
  location: string,
  name: string,
  fetchImpl: typeof fetch = globalThis.fetch,
): Promise<Uint8Array> {
  const where = artifactUrl(location, name);
  const response = await fetchImpl(where);
  if (!response.ok) throw new NotFoundError(`${where}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
