import type { FormatContext } from './context';
import { readRecordLines } from '../lines';

/**
 * Reads a Flickr token file, one caption a line: `image.jpg#k<TAB>caption` (Flickr8k.token.txt,
 * Flickr30k results_20130124.token). The `#k` caption index is informational and dropped.
 */
export async function readFlickrTokenFile(context: FormatContext, file: string): Promise<void> {
  for await (const { text, where } of readRecordLines(file, context.log)) {
    const tab = text.indexOf('\t');
    if (tab === -1) {
      context.log.add('malformed_line', where, 'expected `image#k<TAB>caption`');
      continue;
    }
    const key = text.slice(0, tab).trim();
    const hash = key.lastIndexOf('#');
    const image = hash === -1 ? key : key.slice(0, hash);
    if (image.length === 0) {
      context.log.add('malformed_line', { ...where, field: 'image' }, 'no image name before the tab');
      continue;
    }
    context.collector.addPair(image, text.slice(tab + 1), { ...where, field: 'caption' });
  }
}
