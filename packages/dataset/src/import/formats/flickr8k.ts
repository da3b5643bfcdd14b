import path from 'node:path';
import type { Split } from '../../manifest';
import { readRecordLines } from '../lines';
import type { FormatReader } from './context';
import { firstDirectory, isFile, locateAnnotation } from './context';
import { readFlickrTokenFile } from './flickr-token';

/** The official split lists, looked for next to the token file. */
const SPLIT_LISTS: ReadonlyArray<[string, Split]> = [
  ['Flickr_8k.trainImages.txt', 'train'],
  ['Flickr_8k.devImages.txt', 'val'],
  ['Flickr_8k.testImages.txt', 'test'],
];

/** Image directory names of the official archives (the typo `Flicker8k_Dataset` is the archive's own). */
const IMAGE_DIRS = ['Flicker8k_Dataset', 'Flickr8k_Dataset', 'Images', 'images'];

/**
 * Flickr8k: PATH is `Flickr8k.token.txt` or a directory holding it (directly or in `Flickr8k_text/`).
 * Splits come from the three split lists beside the token file; when none exists every image is hash-split.
 * Images root default: `Flicker8k_Dataset/`, `Flickr8k_Dataset/`, `Images/` or `images/` in the directory
 * of PATH (or of the token file's parent), else that directory.
 */
export const readFlickr8k: FormatReader = async (context) => {
  const tokenFile = await locateAnnotation(context.path, ['Flickr8k.token.txt'], ['Flickr8k_text']);
  await readFlickrTokenFile(context, tokenFile);
  let anyList = false;
  for (const [name, split] of SPLIT_LISTS) {
    const listFile = path.join(path.dirname(tokenFile), name);
    if (!(await isFile(listFile))) continue;
    anyList = true;
    for await (const { text, where } of readRecordLines(listFile, context.log)) {
      const image = text.trim();
      if (!context.collector.has(image)) {
        context.log.add(
          'unknown_split_image',
          where,
          `${image} is in the ${split} list but has no captions in ${path.basename(tokenFile)}`,
          image,
        );
        continue;
      }
      context.collector.setSplit(image, split, where);
    }
  }
  const base = context.path === tokenFile ? path.dirname(tokenFile) : context.path;
  const imagesRoot = context.imagesRoot ?? (await firstDirectory(base, IMAGE_DIRS));
  return { imagesRoot, unsplit: anyList ? 'train' : 'hash' };
};
