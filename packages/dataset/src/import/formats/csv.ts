import path from 'node:path';
import { parseSplitName } from '../hash-split';
import { readRecordLines } from '../lines';
import type { FormatReader } from './context';
import { locateAnnotation } from './context';
import { parseCsvLine } from './csv-line';

type Column = 'image' | 'caption' | 'split';

/**
 * CSV, for users' own data: one `image,caption[,split]` record a line (RFC 4180 quoting; a record may not span
 * lines). A first line whose fields include `image` and `caption` is a header and may order the columns and add
 * others (ignored); without one the columns are `image,caption[,split]`. `image` is a path relative to the images
 * root and is the image's id; lines with the same image merge. Rows without a split are hash-split 80/10/10.
 * PATH is the file or a directory holding `captions.csv`; images root default: the file's directory.
 */
export const readCsv: FormatReader = async (context) => {
  const file = await locateAnnotation(context.path, ['captions.csv']);
  let columns: Record<Column, number> = { image: 0, caption: 1, split: 2 };
  for await (const { line, text, where } of readRecordLines(file, context.log)) {
    const fields = parseCsvLine(text);
    if (fields === undefined) {
      context.log.add('malformed_line', where, 'unbalanced quotes (records may not span lines)');
      continue;
    }
    const names = fields.map((f) => f.trim().toLowerCase());
    if (line === 1 && names.includes('image') && names.includes('caption')) {
      columns = {
        image: names.indexOf('image'),
        caption: names.indexOf('caption'),
        split: names.indexOf('split'),
      };
      continue;
    }
    const image = fields[columns.image]?.trim() ?? '';
    const caption = fields[columns.caption];
    if (image.length === 0 || caption === undefined) {
      context.log.add(
        'malformed_line',
        { ...where, field: image.length === 0 ? 'image' : 'caption' },
        'expected `image,caption[,split]`',
      );
      continue;
    }
    const splitValue = columns.split >= 0 ? fields[columns.split]?.trim() : undefined;
    const split = splitValue ? parseSplitName(splitValue) : undefined;
    if (splitValue && split === undefined) {
      context.log.add(
        'invalid_split',
        { ...where, field: 'split' },
        `split ${JSON.stringify(splitValue)} is not train, restval, val or test (or dev, validation)`,
      );
      continue;
    }
    context.collector.addPair(image, caption, { ...where, field: 'caption' }, split);
  }
  return { imagesRoot: context.imagesRoot ?? path.dirname(file), unsplit: 'hash' };
};
