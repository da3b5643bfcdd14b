import { readArtifact } from '../io/artifact-reader';
import { readModelBundle } from './read-bundle';
import type { ModelBundle } from './read-bundle';

/**
 * Loads a bundle written by `exportModelBundle` from a directory or an http(s) URL, verifying every file's
 * checksum first. A missing bundle or file is a NotFoundError; a damaged one a CorruptArtifactError naming it.
 * The loading itself is `readModelBundle` (read-bundle.ts), the one definition; this binds the Node file
 * reader, as `loadBundle` of `@captioner/model/browser` binds fetch (and parses the vocabulary for pages).
 */
export async function loadModelBundle(location: string): Promise<ModelBundle> {
  return readModelBundle(location, (name) => readArtifact(location, name));
}
