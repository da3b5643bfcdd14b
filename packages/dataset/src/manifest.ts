import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError, NotFoundError, writeJsonAtomic } from '@captioner/core';
import { z } from 'zod';
import { isContainedRelativePath, toPortableRelative } from './paths';
import { sceneSchema } from './shapes/scene-record';

/** The splits an item can belong to; `restval` is Karpathy's extra training data (see `splitItems`). */
export const SPLITS = ['train', 'restval', 'val', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** The formats `dataset import` reads (see src/import/). */
export const IMPORT_FORMATS = [
  'flickr8k',
  'flickr30k',
  'coco',
  'karpathy',
  'jsonl',
  'csv',
  'manifest',
] as const;

/**
 * Where a data set came from: an importer's format, `shapes` for the synthetic generator, `combined` for
 * several registered data sets made one (combine.ts).
 */
export const SOURCE_FORMATS = ['shapes', 'combined', ...IMPORT_FORMATS] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export const manifestItemSchema = z.object({
  /** Stable image id, unique in the manifest; items are sorted by it. */
  id: z.string().min(1),
  /** Image file relative to `imagesRoot`, forward slashes, never escaping it. */
  file: z.string().refine(isContainedRelativePath, { message: 'must be a relative path inside imagesRoot' }),
  split: z.enum(SPLITS),
  /** Raw captions as written by the source (not tokenized). */
  captions: z.array(z.string()),
  /**
   * What the image shows, for synthetic data sets (shapes): lets evaluation check captions against it.
   * Optional, so manifests written before it (and imported ones) stay valid.
   */
  scene: sceneSchema.optional(),
});
export type ManifestItem = z.infer<typeof manifestItemSchema>;

/**
 * A data set's canonical form. On disk `imagesRoot` is relative to the manifest's directory
 * (so a data set directory can be moved or shared between machines); `readManifest` returns it absolute.
 */
export const datasetManifestSchema = z.object({
  formatVersion: z.literal(1),
  name: z.string().min(1),
  source: z.object({
    format: z.enum(SOURCE_FORMATS),
    /** The annotation file or directory given to the importer, as given (`.` for shapes). */
    path: z.string(),
    /** Generator parameters (shapes: seed, images, imageSize); absent for imports. */
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
  imagesRoot: z.string().min(1),
  items: z.array(manifestItemSchema),
});
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;

/** Sorts by id with a plain code-unit comparison (locale-independent, so the order is the same everywhere). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Writes the manifest atomically. Items are sorted by id, file paths use forward slashes, and an absolute
 * `imagesRoot` is stored relative to the manifest's directory.
 */
export async function writeManifest(file: string, manifest: DatasetManifest): Promise<void> {
  const parsed = datasetManifestSchema.safeParse(manifest);
  if (!parsed.success) throw new InvalidInputError(`manifest for ${file}: ${describeIssue(parsed.error)}`);
  const dir = path.dirname(path.resolve(file));
  const imagesRoot = path.isAbsolute(manifest.imagesRoot)
    ? path.relative(dir, manifest.imagesRoot) || '.'
    : manifest.imagesRoot;
  const items = [...parsed.data.items]
    .map((item) => ({ ...item, file: toPortableRelative(item.file) }))
    .sort((a, b) => compareIds(a.id, b.id));
  await writeJsonAtomic(file, { ...parsed.data, imagesRoot: imagesRoot.split(path.sep).join('/'), items });
}

/** Reads and validates a manifest; `imagesRoot` comes back absolute. */
export async function readManifest(file: string): Promise<DatasetManifest> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new NotFoundError(`manifest not found: ${file}`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${file}: not JSON (${(error as Error).message})`);
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success) throw new InvalidInputError(`${file}: ${describeIssue(parsed.error)}`);
  const seen = new Set<string>();
  for (const item of parsed.data.items) {
    if (seen.has(item.id))
      throw new InvalidInputError(`${file}: duplicate item id ${JSON.stringify(item.id)}`);
    seen.add(item.id);
  }
  const imagesRoot = path.resolve(path.dirname(path.resolve(file)), parsed.data.imagesRoot);
  return { ...parsed.data, imagesRoot };
}

/**
 * The items of one split. `train` includes `restval` (Karpathy's convention, followed by every
 * system we compare against); ask for `restval` to get only those.
 */
export function splitItems(manifest: DatasetManifest, split: Split): ManifestItem[] {
  if (split === 'train')
    return manifest.items.filter((item) => item.split === 'train' || item.split === 'restval');
  return manifest.items.filter((item) => item.split === split);
}

/** Absolute path of an item's image (`imagesRoot` may be relative to the working directory if not read from disk). */
export function imagePath(manifest: DatasetManifest, item: ManifestItem): string {
  return path.resolve(manifest.imagesRoot, item.file);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`;
}
