import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@captioner/core';
import type { Split } from '../../manifest';
import { readJsonFile } from '../json-file';
import type { FormatContext, FormatReader } from './context';
import { isDirectory, isRecord } from './context';

const ANNOTATION_NAME = /^captions_(train|val)(\d{4})\.json$/;

/**
 * COCO: PATH is a `captions_<set><year>.json` file, or a directory holding them (directly or in `annotations/`),
 * of which the train and val files of the most recent year are read. Split: `train` for a train file, `val`
 * for a val file (COCO's test images have no captions). Images root default: the annotation file's directory.
 * An image's file is `<set><year>/<file_name>` when that directory exists under the images root, else `file_name`.
 */
export const readCoco: FormatReader = async (context) => {
  const files = (await isDirectory(context.path)) ? await annotationFilesIn(context.path) : [context.path];
  const imagesRoot = context.imagesRoot ?? path.dirname(files[0]);
  for (const file of files) await readCocoFile(context, file, imagesRoot);
  return { imagesRoot, unsplit: 'train' };
};

async function annotationFilesIn(dir: string): Promise<string[]> {
  for (const sub of ['', 'annotations']) {
    const base = path.join(dir, sub);
    if (!(await isDirectory(base))) continue;
    const matches = (await fs.readdir(base))
      .map((name) => ANNOTATION_NAME.exec(name))
      .filter((m) => m !== null);
    if (matches.length === 0) continue;
    const year = matches
      .map((m) => m[2])
      .sort()
      .at(-1);
    return matches
      .filter((m) => m[2] === year)
      .map((m) => path.join(base, m[0]))
      .sort();
  }
  throw new NotFoundError(`no captions_{train,val}<year>.json in ${dir} or ${path.join(dir, 'annotations')}`);
}

async function readCocoFile(context: FormatContext, file: string, imagesRoot: string): Promise<void> {
  const { json, validUtf8 } = await readJsonFile(file);
  const { collector, log } = context;
  if (!isRecord(json) || !Array.isArray(json.images) || !Array.isArray(json.annotations)) {
    log.add('malformed_record', { file }, 'expected an object with `images` and `annotations` arrays');
    return;
  }
  const name = ANNOTATION_NAME.exec(path.basename(file));
  const split: Split = name?.[1] === 'val' ? 'val' : 'train';
  const setDir = name ? `${name[1]}${name[2]}` : undefined;
  const prefix =
    setDir !== undefined && (await isDirectory(path.join(imagesRoot, setDir))) ? `${setDir}/` : '';
  json.images.forEach((image: unknown, i) => {
    const field = `images[${i}]`;
    if (
      !isRecord(image) ||
      (typeof image.id !== 'number' && typeof image.id !== 'string') ||
      typeof image.file_name !== 'string'
    ) {
      log.add('malformed_record', { file, field }, 'an image needs `id` (number) and `file_name` (string)');
      return;
    }
    const id = String(image.id);
    collector.addImage(id, `${prefix}${image.file_name}`, { file, field }, split);
  });
  json.annotations.forEach((annotation: unknown, i) => {
    const field = `annotations[${i}]`;
    if (
      !isRecord(annotation) ||
      (typeof annotation.image_id !== 'number' && typeof annotation.image_id !== 'string') ||
      typeof annotation.caption !== 'string'
    ) {
      log.add('malformed_record', { file, field }, 'an annotation needs `image_id` and `caption` (string)');
      return;
    }
    const id = String(annotation.image_id);
    if (!collector.has(id)) {
      log.add(
        'unknown_image',
        { file, field: `${field}.image_id` },
        `annotation names image ${id}, which is not in \`images\``,
        id,
      );
      return;
    }
    collector.addCaption(
      id,
      annotation.caption,
      { file, field: `${field}.caption` },
      { suspectReplacement: !validUtf8 },
    );
  });
}
