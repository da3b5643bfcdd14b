import path from 'node:path';
import { readRecordLines } from '../lines';
import type { FormatContext, FormatReader } from './context';
import { firstDirectory, locateAnnotation } from './context';
import { readFlickrTokenFile } from './flickr-token';

const IMAGE_DIRS = ['flickr30k-images', 'flickr30k_images', 'Images', 'images'];

/**
 * Flickr30k: PATH is `results_20130124.token` (token format), `results.csv` (`image_name| comment_number| comment`,
 * the Kaggle variant), or a directory holding one of them (the token file is preferred). Flickr30k has no
 * official split: images are hash-split 80/10/10 (use the `karpathy` format for the usual 29k/1k/1k split).
 * Images root default: `flickr30k-images/`, `flickr30k_images/`, `Images/` or `images/` in the directory, else it.
 */
export const readFlickr30k: FormatReader = async (context) => {
  const file = await locateAnnotation(
    context.path,
    ['results_20130124.token', 'results.csv'],
    ['flickr30k_images', 'flickr30k'],
  );
  if (file.endsWith('.csv')) await readPipeCsv(context, file);
  else await readFlickrTokenFile(context, file);
  const base = context.path === file ? path.dirname(file) : context.path;
  const imagesRoot = context.imagesRoot ?? (await firstDirectory(base, IMAGE_DIRS));
  return { imagesRoot, unsplit: 'hash' };
};

/** `results.csv`: a header, then `image| index| caption`; the caption may itself contain `|`. */
async function readPipeCsv(context: FormatContext, file: string): Promise<void> {
  for await (const { line, text, where } of readRecordLines(file, context.log)) {
    const fields = text.split('|');
    if (line === 1 && fields[0].trim() === 'image_name') continue;
    if (fields.length < 3) {
      context.log.add('malformed_line', where, 'expected `image_name| comment_number| comment`');
      continue;
    }
    const image = fields[0].trim();
    if (image.length === 0) {
      context.log.add('malformed_line', { ...where, field: 'image_name' }, 'empty image name');
      continue;
    }
    context.collector.addPair(image, fields.slice(2).join('|'), { ...where, field: 'comment' });
  }
}
