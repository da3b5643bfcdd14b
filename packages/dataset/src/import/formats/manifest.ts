import path from 'node:path';
import { InvalidInputError } from '@captioner/core';
import { manifestItemSchema } from '../../manifest';
import { readJsonFile } from '../json-file';
import type { FormatReader } from './context';
import { isRecord, locateAnnotation } from './context';

/**
 * Captioner's own manifest (what `synthesizeShapes` and a previous import wrote): PATH is the file or a
 * directory holding `manifest.json`. Items are validated one by one (a bad item is `malformed_record`, the
 * others stay); images root default: the manifest's own, resolved against its directory.
 */
export const readManifestFormat: FormatReader = async (context) => {
  const file = await locateAnnotation(context.path, ['manifest.json']);
  const { json, validUtf8 } = await readJsonFile(file);
  if (
    !isRecord(json) ||
    json.formatVersion !== 1 ||
    typeof json.imagesRoot !== 'string' ||
    !Array.isArray(json.items)
  ) {
    throw new InvalidInputError(
      `${file}: not a Captioner manifest (needs formatVersion 1, imagesRoot, items)`,
    );
  }
  const { collector, log } = context;
  json.items.forEach((raw: unknown, i) => {
    const field = `items[${i}]`;
    const parsed = manifestItemSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const kind = issue.path[0] === 'file' ? 'path_escape' : 'malformed_record';
      log.add(
        kind,
        { file, field: [field, ...issue.path].join('.') },
        issue.message,
        isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined,
      );
      return;
    }
    const item = parsed.data;
    if (!collector.addImage(item.id, item.file, { file, field }, item.split)) return;
    if (item.scene) collector.setScene(item.id, item.scene);
    item.captions.forEach((caption, j) => {
      collector.addCaption(
        item.id,
        caption,
        { file, field: `${field}.captions[${j}]` },
        { suspectReplacement: !validUtf8 },
      );
    });
  });
  const imagesRoot = context.imagesRoot ?? path.resolve(path.dirname(file), json.imagesRoot);
  return { imagesRoot, unsplit: 'train' };
};
