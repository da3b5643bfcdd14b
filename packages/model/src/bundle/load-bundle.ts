import { readArtifact } from '../io/artifact-reader';
import { readModelBundle } from './read-bundle';
import type { ModelBundle } from './read-bundle';

export type LoadedBundle = ModelBundle;

/**
 * Loads a bundle written by `exportModelBundle` from a directory or an http(s) URL, verifying every file's
 * checksum first. A missing bundle or file is a NotFoundError; a damaged one a CorruptArtifactError naming it.
 * (Node only; browsers use `loadBundle` of `@captioner/model/browser`, which shares read-bundle.ts.)
 */
export async function loadModelBundle(location: string): Promise<LoadedBundle> {
  return readModelBundle(location, (name) => readArtifact(location, name));
}
