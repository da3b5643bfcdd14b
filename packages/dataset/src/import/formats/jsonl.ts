import path from 'node:path';
import { parseSplitName } from '../hash-split';
import { readRecordLines } from '../lines';
import type { FormatReader } from './context';
import { isRecord, locateAnnotation } from './context';

/**
 * JSON Lines, for users' own data: one `{"image": "dir/a.jpg", "caption": "…", "split"?: "train"}` a line.
 * `image` is a path relative to the images root and is the image's id; lines with the same image merge.
 * Lines without `split` are hash-split 80/10/10. Blank lines are skipped. PATH is the file or a directory
 * holding `captions.jsonl`; images root default: the file's directory.
 */
export const readJsonl: FormatReader = async (context) => {
  const file = await locateAnnotation(context.path, ['captions.jsonl']);
  for await (const { text, where } of readRecordLines(file, context.log)) {
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      context.log.add('malformed_line', where, `not JSON: ${(error as Error).message}`);
      continue;
    }
    if (!isRecord(record) || typeof record.image !== 'string' || record.image.trim().length === 0) {
      context.log.add(
        'malformed_line',
        { ...where, field: 'image' },
        'expected an object with `image` (string)',
      );
      continue;
    }
    if (typeof record.caption !== 'string') {
      context.log.add('malformed_line', { ...where, field: 'caption' }, 'expected `caption` (string)');
      continue;
    }
    let split;
    if (record.split !== undefined && record.split !== null) {
      split = typeof record.split === 'string' ? parseSplitName(record.split) : undefined;
      if (split === undefined) {
        context.log.add(
          'invalid_split',
          { ...where, field: 'split' },
          `split ${JSON.stringify(record.split)} is not train, restval, val or test (or dev, validation)`,
        );
        continue;
      }
    }
    context.collector.addPair(record.image.trim(), record.caption, { ...where, field: 'caption' }, split);
  }
  return { imagesRoot: context.imagesRoot ?? path.dirname(file), unsplit: 'hash' };
};
