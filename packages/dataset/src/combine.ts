import path from 'node:path';
import { InvalidInputError } from '@captioner/core';
import type { DatasetManifest, ManifestItem } from './manifest';
import { toPortableRelative } from './paths';

/** A registered data set to combine: its name (the id prefix) and its manifest (`imagesRoot` absolute). */
export interface CombineSource {
  name: string;
  manifest: DatasetManifest;
  /** Use only its training items (train, restval); its val and test items are left out. */
  trainOnly?: boolean;
}

/** Separates a source's name from its item ids in a combined data set (`flickr8k:1000268201_693b08cb0e`). */
export const COMBINED_ID_SEPARATOR = ':';

/** The deepest directory that contains every one of `dirs` (absolute paths). */
function commonAncestor(dirs: string[]): string {
  let common = path.resolve(dirs[0]);
  for (const dir of dirs.slice(1)) {
    const resolved = path.resolve(dir);
    while (
      path.relative(common, resolved).startsWith('..') ||
      path.isAbsolute(path.relative(common, resolved))
    )
      common = path.dirname(common);
  }
  return common;
}

/**
 * One data set made of several: every item keeps its split (so each source's val and test stay val and
 * test, never training data, unless `trainOnly` drops them), its captions and scene, and gets the id
 * `<source name>:<id>`; `imagesRoot` is the deepest directory holding every source's images, item files
 * are relative to it. The vocabulary of a run on it is built from its training items only, as for any data
 * set. Source names must be distinct and free of the separator.
 */
export function combineManifests(name: string, sources: CombineSource[]): DatasetManifest {
  if (sources.length < 2) throw new InvalidInputError(`combine ${name}: give at least two data sets`);
  const seen = new Set<string>();
  for (const source of sources) {
    if (source.name.includes(COMBINED_ID_SEPARATOR))
      throw new InvalidInputError(
        `combine ${name}: data set name '${source.name}' contains '${COMBINED_ID_SEPARATOR}'`,
      );
    if (seen.has(source.name))
      throw new InvalidInputError(`combine ${name}: data set '${source.name}' given twice`);
    seen.add(source.name);
  }
  const imagesRoot = commonAncestor(sources.map((s) => s.manifest.imagesRoot));
  const items: ManifestItem[] = [];
  for (const source of sources) {
    for (const item of source.manifest.items) {
      if (source.trainOnly && item.split !== 'train' && item.split !== 'restval') continue;
      const file = path.relative(imagesRoot, path.resolve(source.manifest.imagesRoot, item.file));
      items.push({
        ...item,
        id: `${source.name}${COMBINED_ID_SEPARATOR}${item.id}`,
        file: toPortableRelative(file.split(path.sep).join('/')),
      });
    }
  }
  return {
    formatVersion: 1,
    name,
    source: {
      format: 'combined',
      path: imagesRoot,
      params: {
        sources: sources.map((s) => s.name).join(','),
        trainOnly: sources
          .filter((s) => s.trainOnly)
          .map((s) => s.name)
          .join(','),
      },
    },
    imagesRoot,
    items,
  };
}
