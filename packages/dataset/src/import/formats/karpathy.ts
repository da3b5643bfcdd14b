import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '@captioner/core';
import { parseSplitName } from '../hash-split';
import { readJsonFile } from '../json-file';
import type { FormatReader } from './context';
import { isDirectory, isRecord } from './context';

/**
 * Karpathy's split files (`dataset_coco.json`, `dataset_flickr8k.json`, `dataset_flickr30k.json`): PATH is the
 * file or a directory holding exactly one `dataset_*.json`. Each image keeps its split (train/restval/val/test).
 * Id: `cocoid` when present (so ids match the raw COCO importer), else `filename`. File: `filepath/filename`
 * (COCO: `val2014/COCO_val2014_….jpg`), else `filename`. Caption: `raw`, else the `tokens` joined by spaces.
 * Images root default: the annotation file's directory.
 */
export const readKarpathy: FormatReader = async (context) => {
  const file = (await isDirectory(context.path)) ? await findDatasetJson(context.path) : context.path;
  const { json, validUtf8 } = await readJsonFile(file);
  const { collector, log } = context;
  const imagesRoot = context.imagesRoot ?? path.dirname(file);
  if (!isRecord(json) || !Array.isArray(json.images)) {
    log.add('malformed_record', { file }, 'expected an object with an `images` array');
    return { imagesRoot, unsplit: 'train' };
  }
  json.images.forEach((image: unknown, i) => {
    const field = `images[${i}]`;
    if (!isRecord(image) || typeof image.filename !== 'string' || !Array.isArray(image.sentences)) {
      log.add(
        'malformed_record',
        { file, field },
        'an image needs `filename` (string) and `sentences` (array)',
      );
      return;
    }
    const id =
      typeof image.cocoid === 'number' || typeof image.cocoid === 'string'
        ? String(image.cocoid)
        : image.filename;
    const split = typeof image.split === 'string' ? parseSplitName(image.split) : undefined;
    if (split === undefined) {
      log.add(
        'invalid_split',
        { file, field: `${field}.split` },
        `split ${JSON.stringify(image.split)} is not train, restval, val or test`,
        id,
      );
      return;
    }
    const relative =
      typeof image.filepath === 'string' && image.filepath.length > 0
        ? `${image.filepath}/${image.filename}`
        : image.filename;
    if (!collector.addImage(id, relative, { file, field }, split)) return;
    image.sentences.forEach((sentence: unknown, j) => {
      const where = { file, field: `${field}.sentences[${j}]` };
      let text: string | undefined;
      if (isRecord(sentence) && typeof sentence.raw === 'string') text = sentence.raw;
      else if (
        isRecord(sentence) &&
        Array.isArray(sentence.tokens) &&
        sentence.tokens.every((t) => typeof t === 'string')
      )
        text = sentence.tokens.join(' ');
      if (text === undefined) {
        log.add('malformed_record', where, 'a sentence needs `raw` (string) or `tokens` (strings)', id);
        return;
      }
      collector.addCaption(id, text, where, { suspectReplacement: !validUtf8 });
    });
  });
  return { imagesRoot, unsplit: 'train' };
};

async function findDatasetJson(dir: string): Promise<string> {
  const names = (await fs.readdir(dir)).filter((n) => /^dataset_.*\.json$/.test(n)).sort();
  if (names.length !== 1) {
    throw new InvalidInputError(
      `${dir}: expected exactly one dataset_*.json, found ${names.length === 0 ? 'none' : names.join(', ')}; give the file`,
    );
  }
  return path.join(dir, names[0]);
}
