import fs from 'node:fs/promises';
import path from 'node:path';
import type { ProgressListener } from '@captioner/core';
import { InvalidInputError, NotFoundError, ignoreProgress } from '@captioner/core';
import { z } from 'zod';
import type { DatasetManifest, ManifestItem } from '../manifest';
import { IMPORT_FORMATS, compareIds } from '../manifest';
import { resolveInside } from '../paths';
import { checkImage, mapLimit } from './check-images';
import type { ImageCheckMode } from './check-images';
import { ItemCollector } from './collector';
import type { FormatReader } from './formats/context';
import { readCoco } from './formats/coco';
import { readCsv } from './formats/csv';
import { readFlickr30k } from './formats/flickr30k';
import { readFlickr8k } from './formats/flickr8k';
import { readJsonl } from './formats/jsonl';
import { readKarpathy } from './formats/karpathy';
import { readManifestFormat } from './formats/manifest';
import { hashSplit } from './hash-split';
import type { ImportReport, Problem } from './problems';
import { ProblemLog, countByKind, describeLocation, emptySplitCounts } from './problems';

export { IMPORT_FORMATS };
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const READERS: Record<ImportFormat, FormatReader> = {
  flickr8k: readFlickr8k,
  flickr30k: readFlickr30k,
  coco: readCoco,
  karpathy: readKarpathy,
  jsonl: readJsonl,
  csv: readCsv,
  manifest: readManifestFormat,
};

/** The serializable import options (CLI flags, API bodies, job payloads). */
export const importDatasetOptionsSchema = z.object({
  /** The annotation file, or a directory holding the format's expected files (see README, per format). */
  path: z.string().min(1),
  format: z.enum(IMPORT_FORMATS),
  /** The data set's name, recorded in the manifest. */
  name: z.string().min(1),
  /** Directory image paths are relative to; every image must stay inside it. @defaultValue per format (README) */
  imagesRoot: z.string().min(1).optional(),
  /** Fail the whole import on the first problem instead of reporting it and keeping the good items. @defaultValue false */
  strict: z.boolean().default(false),
  /**
   * `true`: read each image's header with sharp and look for the end marker (fast); `'decode'`: decode every
   * image fully (slow, catches corrupt data mid-file); `false`: only check that the file exists.
   * @defaultValue true
   */
  checkImages: z.union([z.boolean(), z.literal('decode')]).default(true),
});
export type ImportDatasetOptions = z.input<typeof importDatasetOptionsSchema> & {
  onProgress?: ProgressListener;
};

/** Images checked at once: header reads are I/O-bound, and sharp runs them on libuv's pool. */
const CHECK_CONCURRENCY = 16;

/**
 * Imports a data set: reads the annotations of `format`, validates every image and caption, and returns the
 * manifest of the good items (sorted by id, `imagesRoot` absolute) and a report of every problem. Bad items
 * are dropped and reported; their neighbours stay. With `strict`, any problem throws InvalidInputError naming
 * the first one's file and line. The same input always gives the same manifest and report.
 */
export async function importDataset(
  options: ImportDatasetOptions,
): Promise<{ manifest: DatasetManifest; report: ImportReport }> {
  const parsedOptions = importDatasetOptionsSchema.safeParse(options);
  if (!parsedOptions.success) {
    const issue = parsedOptions.error.issues[0];
    throw new InvalidInputError(`import options: ${issue.path.join('.')}: ${issue.message}`);
  }
  const { format, name, strict, checkImages } = parsedOptions.data;
  const onProgress = options.onProgress ?? ignoreProgress;
  const source = path.resolve(options.path);
  try {
    await fs.access(source);
  } catch {
    throw new NotFoundError(`${format} data set not found: ${source}`);
  }

  const log = new ProblemLog();
  const collector = new ItemCollector(log);
  onProgress({ fraction: 0, message: `reading ${format} annotations` });
  const { imagesRoot, unsplit } = await READERS[format]({
    path: source,
    imagesRoot: options.imagesRoot === undefined ? undefined : path.resolve(options.imagesRoot),
    collector,
    log,
  });
  if (strict) failOnFirst(log);

  const candidates = collector.all().filter((image) => {
    if (image.captions.length > 0) return true;
    log.add('no_captions', image.where, `image ${JSON.stringify(image.id)} has no usable captions`, image.id);
    return false;
  });
  onProgress({ fraction: 0.1, message: `checking ${candidates.length} images` });
  const mode: ImageCheckMode = checkImages === 'decode' ? 'decode' : checkImages ? 'header' : 'none';
  let checked = 0;
  const every = Math.max(1, Math.floor(candidates.length / 100));
  const verdicts = await mapLimit(candidates, CHECK_CONCURRENCY, async (image) => {
    const absolute = resolveInside(imagesRoot, image.file);
    const verdict =
      absolute === undefined
        ? ({
            ok: false,
            kind: 'path_escape',
            message: `image path ${image.file} leaves ${imagesRoot}`,
          } as const)
        : await checkImage(absolute, mode);
    checked++;
    if (checked % every === 0)
      onProgress({
        fraction: 0.1 + (0.9 * checked) / candidates.length,
        message: `checked ${checked}/${candidates.length} images`,
      });
    return verdict;
  });

  const items: ManifestItem[] = [];
  candidates.forEach((image, i) => {
    const verdict = verdicts[i];
    if (!verdict.ok) {
      log.add(verdict.kind, image.where, verdict.message, image.id);
      return;
    }
    let split = image.split;
    if (split === undefined && unsplit === 'train') {
      log.add(
        'no_split',
        image.where,
        `image ${JSON.stringify(image.id)} is in no split list; placed in train`,
        image.id,
      );
      split = 'train';
    }
    items.push({
      id: image.id,
      file: image.file,
      split: split ?? hashSplit(image.id),
      captions: image.captions,
      ...(image.scene ? { scene: image.scene } : {}),
    });
  });
  items.sort((a, b) => compareIds(a.id, b.id));
  if (strict) failOnFirst(log);

  const problems = log.sorted();
  const splits = emptySplitCounts();
  for (const item of items) splits[item.split]++;
  const report: ImportReport = {
    items: items.length,
    captions: items.reduce((sum, item) => sum + item.captions.length, 0),
    problems,
    counts: countByKind(problems),
    splits,
  };
  const manifest: DatasetManifest = {
    formatVersion: 1,
    name,
    source: { format, path: options.path },
    imagesRoot,
    items,
  };
  onProgress({
    fraction: 1,
    message: `${items.length} items, ${problems.length} problems`,
    figures: { items: items.length, problems: problems.length },
  });
  return { manifest, report };
}

function failOnFirst(log: ProblemLog): void {
  if (log.size === 0) return;
  const problems = log.sorted();
  const first: Problem = problems[0];
  const more = problems.length > 1 ? ` (${problems.length} problems in all)` : '';
  throw new InvalidInputError(`${describeLocation(first)}: ${first.kind}: ${first.message}${more}`);
}
