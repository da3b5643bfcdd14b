import fs from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@captioner/core';
import type { ItemCollector } from '../collector';
import type { ProblemLog } from '../problems';

/** What every format reader gets. */
export interface FormatContext {
  /** PATH as given, absolute: the annotation file or a directory holding the expected files. */
  path: string;
  /** Caller's images root (absolute), if given. */
  imagesRoot?: string;
  collector: ItemCollector;
  log: ProblemLog;
}

/** What a format reader tells the importer beyond the collected items. */
export interface FormatResult {
  /** Absolute images root: the caller's, or the format's default. */
  imagesRoot: string;
  /**
   * How images with no split are placed: `hash` (80/10/10 by id hash; the source has no splits or they are
   * optional per row) or `train` (the source gives splits and the image is in none: `no_split` is reported).
   */
  unsplit: 'hash' | 'train';
}

export type FormatReader = (context: FormatContext) => Promise<FormatResult>;

export async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The annotation file: PATH itself when it is a file, else the first of `names` found in PATH or in one of
 * `subdirs` of it. NotFoundError lists what was looked for.
 */
export async function locateAnnotation(
  target: string,
  names: readonly string[],
  subdirs: readonly string[] = [],
): Promise<string> {
  if (await isFile(target)) return target;
  if (!(await isDirectory(target))) throw new NotFoundError(`not found: ${target}`);
  const tried: string[] = [];
  for (const dir of ['', ...subdirs]) {
    for (const name of names) {
      const candidate = path.join(target, dir, name);
      tried.push(candidate);
      if (await isFile(candidate)) return candidate;
    }
  }
  throw new NotFoundError(`no annotation file in ${target}; looked for ${tried.join(', ')}`);
}

/** The first existing directory among `names` under `base`, else `base` itself. */
export async function firstDirectory(base: string, names: readonly string[]): Promise<string> {
  for (const name of names) {
    const candidate = path.join(base, name);
    if (await isDirectory(candidate)) return candidate;
  }
  return base;
}

/** A plain object, for walking untyped JSON. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
