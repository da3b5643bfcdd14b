import { z } from 'zod';
import { SPLITS } from '../manifest';
import type { Split } from '../manifest';

/** What can be wrong with an imported item. Each kind is documented in the README. */
export const PROBLEM_KINDS = [
  'missing_image',
  'unreadable_image',
  'duplicate_image',
  'empty_caption',
  'overlong_caption',
  'invalid_utf8',
  'no_captions',
  'unknown_split_image',
  'duplicate_caption',
  'conflicting_split',
  'no_split',
  'invalid_split',
  'path_escape',
  'malformed_line',
  'malformed_record',
  'unknown_image',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export const problemSchema = z.object({
  /** The file the problem is in: the annotation or split file that names the item (absolute path). */
  file: z.string(),
  /** 1-based line, for line-oriented files. */
  line: z.number().int().positive().optional(),
  /** Field or JSON path, e.g. `caption` or `annotations[17].caption`. */
  field: z.string().optional(),
  /** The image the problem concerns, when known. */
  imageId: z.string().optional(),
  kind: z.enum(PROBLEM_KINDS),
  message: z.string(),
});
export type Problem = z.infer<typeof problemSchema>;

/** What an import found; it travels from the importer to the CLI, the API and the database as JSON. */
export const importReportSchema = z.object({
  /** Items in the manifest (good items only). */
  items: z.number().int().nonnegative(),
  /** Captions in the manifest. */
  captions: z.number().int().nonnegative(),
  /** Every problem, sorted by file, line, field, image id. */
  problems: z.array(problemSchema),
  /** Problems per kind; kinds that did not occur are absent. */
  counts: z.partialRecord(z.enum(PROBLEM_KINDS), z.number().int().positive()),
  /** Items per split, every split present (0 when empty). */
  splits: z.record(z.enum(SPLITS), z.number().int().nonnegative()),
});
export type ImportReport = z.infer<typeof importReportSchema>;

/** Where something was read: enough to point a user at it. */
export interface Location {
  file: string;
  line?: number;
  field?: string;
}

/** Collects problems as the importer finds them; sorted on the way out so reports are reproducible. */
export class ProblemLog {
  private readonly entries: Problem[] = [];

  add(kind: ProblemKind, where: Location, message: string, imageId?: string): void {
    const problem: Problem = { file: where.file, kind, message };
    if (where.line !== undefined) problem.line = where.line;
    if (where.field !== undefined) problem.field = where.field;
    if (imageId !== undefined) problem.imageId = imageId;
    this.entries.push(problem);
  }

  get size(): number {
    return this.entries.length;
  }

  sorted(): Problem[] {
    return [...this.entries].sort(compareProblems);
  }
}

function compareProblems(a: Problem, b: Problem): number {
  return (
    cmp(a.file, b.file) ||
    (a.line ?? 0) - (b.line ?? 0) ||
    cmp(a.field ?? '', b.field ?? '') ||
    cmp(a.imageId ?? '', b.imageId ?? '') ||
    cmp(a.kind, b.kind) ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function countByKind(problems: readonly Problem[]): ImportReport['counts'] {
  const counts: ImportReport['counts'] = {};
  for (const p of problems) counts[p.kind] = (counts[p.kind] ?? 0) + 1;
  return counts;
}

export function emptySplitCounts(): Record<Split, number> {
  return { train: 0, restval: 0, val: 0, test: 0 };
}

/** `file:line` (or `file field`) for messages. */
export function describeLocation(where: Location): string {
  if (where.line !== undefined) return `${where.file}:${where.line}`;
  return where.field !== undefined ? `${where.file} (${where.field})` : where.file;
}
