import { NotFoundError } from '@captioner/core';
import type { DbClient } from './client';
import { jsonColumn, readRunConfig } from './json-columns';
import { readScores } from './views';
import type { Scores } from './views';

/** Views behind the dashboard's curves, comparison and gallery (and `captioner run compare`). */

export interface MetricPoint {
  /** Row id: the cursor of `metricsSince` (ids only grow, so a poller asks for what is newer). */
  id: number;
  name: string;
  step: number;
  epoch: number;
  value: number;
}

/** A run's Metric rows with id > `afterId`, by name then step, and the run's status (pollers stop when it finished). */
export async function metricsSince(db: DbClient, runId: string, afterId = 0) {
  const run = await db.run.findUnique({ where: { id: runId }, select: { id: true, status: true } });
  if (!run) throw new NotFoundError(`run not found: ${runId}`);
  const rows = await db.metric.findMany({
    where: { runId, id: { gt: afterId } },
    orderBy: [{ name: 'asc' }, { step: 'asc' }],
    select: { id: true, name: true, step: true, epoch: true, value: true },
  });
  const lastId = rows.reduce((max, r) => Math.max(max, r.id), afterId);
  return { runId, status: run.status, lastId, metrics: rows as MetricPoint[] };
}

/** Every leaf of a JSON value as `path → value` (`training.epochs → 10`); arrays are leaves. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}) {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value))
      flattenConfig(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

/** The config keys whose values differ between runs (a key missing from one run counts as a difference). */
export function diffConfigs(configs: unknown[]): Array<{ key: string; values: unknown[] }> {
  const flat = configs.map((c) => flattenConfig(c));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  return keys
    .map((key) => ({ key, values: flat.map((f) => (key in f ? f[key] : null)) }))
    .filter(({ values }) => new Set(values.map((v) => JSON.stringify(v))).size > 1);
}

/**
 * Runs side by side: each one's status, final scores (the final evaluation's, else its newest succeeded
 * evaluation's), best validation score, metric count, and the keys where their resolved configs differ.
 */
export async function compareRunsView(db: DbClient, ids: string[]) {
  const runs = [];
  for (const id of ids) {
    const run = await db.run.findUnique({ where: { id }, include: { dataset: { select: { name: true } } } });
    if (!run) throw new NotFoundError(`run not found: ${id}`);
    const evaluations = await db.evaluation.findMany({
      where: { runId: id, status: 'succeeded' },
      orderBy: { createdAt: 'desc' },
    });
    const scored = evaluations.find((e) => e.isFinal) ?? evaluations[0];
    const best = await db.checkpoint.findFirst({ where: { runId: id, isBest: true } });
    const rows = await db.metric.findMany({
      where: { runId: id },
      orderBy: [{ name: 'asc' }, { step: 'asc' }],
    });
    const curves: Record<
      string,
      { points: number; lastStep: number; last: number; min: number; max: number }
    > = {};
    for (const m of rows) {
      const c = (curves[m.name] ??= {
        points: 0,
        lastStep: m.step,
        last: m.value,
        min: m.value,
        max: m.value,
      });
      c.points++;
      c.lastStep = m.step;
      c.last = m.value;
      c.min = Math.min(c.min, m.value);
      c.max = Math.max(c.max, m.value);
    }
    runs.push({
      id: run.id,
      name: run.name,
      dataset: run.dataset.name,
      status: run.status,
      createdAt: run.createdAt,
      config: readRunConfig(run) as unknown,
      finalScores: (scored ? readScores(scored.scores).scores : null) as Scores | null,
      finalEvaluation: scored?.id ?? null,
      bestValidation:
        best?.valScore != null ? { metric: best.valMetric, score: best.valScore, step: best.step } : null,
      /** Per metric name: how many points, the last one, the range (the page draws them; the CLI prints these). */
      curves,
    });
  }
  const scoreNames = [...new Set(runs.flatMap((r) => Object.keys(r.finalScores ?? {})))].sort();
  return { runs, scoreNames, configDiff: diffConfigs(runs.map((r) => r.config)) };
}
export type RunComparison = Awaited<ReturnType<typeof compareRunsView>>;

const SAMPLE_ORDER = {
  cider: { cider: 'desc' },
  bleu4: { bleu4: 'desc' },
  rougeL: { rougeL: 'desc' },
  image: { imageId: 'asc' },
} as const;
export type SampleOrder = keyof typeof SAMPLE_ORDER;

/**
 * Every sample of an evaluation for the gallery: per-image scores, generated and reference captions, sorted
 * (CIDEr-D first by default) and filtered by a word of the generated or reference captions (case-insensitive).
 */
export async function galleryView(
  db: DbClient,
  evaluationId: string,
  options: { order?: SampleOrder; word?: string; limit?: number } = {},
) {
  const evaluation = await db.evaluation.findUnique({
    where: { id: evaluationId },
    include: { run: { select: { id: true, name: true, datasetId: true } } },
  });
  if (!evaluation) throw new NotFoundError(`evaluation not found: ${evaluationId}`);
  const rows = await db.evaluationSample.findMany({
    where: { evaluationId },
    orderBy: SAMPLE_ORDER[options.order ?? 'cider'],
  });
  const word = options.word?.trim().toLowerCase();
  const hasWord = (text: string) =>
    text
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .includes(word!);
  const samples = rows
    .map((s) => ({
      id: s.id,
      imageId: s.imageId,
      candidate: s.candidate,
      references: jsonColumn<string[]>(s.references, []),
      Bleu_4: s.bleu4,
      CIDEr: s.cider,
      ROUGE_L: s.rougeL,
    }))
    .filter((s) => !word || hasWord(s.candidate) || s.references.some(hasWord));
  return {
    id: evaluation.id,
    run: evaluation.run,
    split: evaluation.split,
    status: evaluation.status,
    ...readScores(evaluation.scores),
    total: rows.length,
    samples: samples.slice(0, options.limit ?? 500),
  };
}

/**
 * Where a sample's image is, from the database only: the sample row by its numeric id, its evaluation's run,
 * that run's data set row (manifest path and source directory). The caller resolves the manifest entry.
 */
export async function sampleImageSource(db: DbClient, sampleId: number) {
  const sample = await db.evaluationSample.findUnique({
    where: { id: sampleId },
    select: {
      imageId: true,
      evaluation: {
        select: {
          run: { select: { dataset: { select: { id: true, sourcePath: true, manifestPath: true } } } },
        },
      },
    },
  });
  if (!sample) throw new NotFoundError(`sample not found: ${sampleId}`);
  return { imageId: sample.imageId, dataset: sample.evaluation.run.dataset };
}
