import type { DbClient } from './client';
import { getEvaluation, getEvaluationExtremes } from './repositories/evaluations';
import { getRunDetails, listRuns } from './repositories/runs';
import { listSweeps } from './repositories/sweeps';
import { jsonColumn, readRunConfig } from './json-columns';
import type { JsonValue } from './json-columns';
import { STAGE_KINDS } from './repositories/stages';

/** What the CLI's `--json`, the API and the dashboard show: database rows with their JSON columns typed. */

export type Scores = Record<string, number>;
/** Grounding figures of a shapes evaluation (counts and rates; a rate is null when nothing was stated). */
export type Grounding = Record<string, number | null>;
/**
 * Diversity figures of an evaluation's captions (`captionDiversity` of `@captioner/metrics`: captions,
 * uniqueRate, vocabularyUsed, distinct1, distinct2, novelRate, meanLength); absent from evaluations
 * stored before they were measured.
 */
export type Diversity = Record<string, number | null>;

function objectUnder(raw: Record<string, unknown>, key: string): Record<string, number | null> | null {
  const value = raw[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, number | null>)
    : null;
}

/**
 * Splits the `scores` column into the metric numbers, the grounding figures and the diversity figures,
 * so that `scores` keeps holding only numbers for every reader (the dashboard, `run list`) and the
 * others are shown where asked.
 */
export function readScores(column: JsonValue | null | undefined): {
  scores: Scores | null;
  grounding: Grounding | null;
  diversity: Diversity | null;
} {
  const raw = jsonColumn<Record<string, unknown> | null>(column, null);
  if (!raw) return { scores: null, grounding: null, diversity: null };
  const scores: Scores = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'number') scores[key] = value;
  return { scores, grounding: objectUnder(raw, 'grounding'), diversity: objectUnder(raw, 'diversity') };
}
export interface StageSummary {
  status: string;
  done: number;
  total: number;
}

/**
 * One entry per stage kind, in pipeline order: done/total shards and an overall status (failed wins,
 * then running…).
 */
export function summarizeStages(
  stages: Array<{ stage: string; status: string }>,
): Record<string, StageSummary> {
  const summary: Record<string, StageSummary> = {};
  const statuses: Record<string, string[]> = {};
  const rank = (stage: string) => (STAGE_KINDS as readonly string[]).indexOf(stage);
  for (const stage of [...stages].sort((a, b) => rank(a.stage) - rank(b.stage))) {
    const entry = (summary[stage.stage] ??= { status: 'pending', done: 0, total: 0 });
    (statuses[stage.stage] ??= []).push(stage.status);
    entry.total++;
    if (stage.status === 'succeeded') entry.done++;
  }
  for (const [name, entry] of Object.entries(summary)) {
    const all = statuses[name];
    entry.status = all.includes('failed')
      ? 'failed'
      : entry.done === entry.total
        ? 'succeeded'
        : all.includes('running')
          ? 'running'
          : all.includes('cancelled')
            ? 'cancelled'
            : 'pending';
  }
  return summary;
}

/** Runs newest first, each with its stage summary and the scores of its final evaluation, if any. */
export async function runListView(db: DbClient, limit: number, options: { includeArchived?: boolean } = {}) {
  const runs = await listRuns(db, { limit, includeArchived: options.includeArchived });
  const evaluations = await db.evaluation.findMany({
    where: { runId: { in: runs.map((r) => r.id) }, isFinal: true },
  });
  const finalScores = new Map<string, Scores | null>();
  for (const e of evaluations) finalScores.set(e.runId, readScores(e.scores).scores);
  return runs.map((r) => ({
    id: r.id,
    name: r.name,
    dataset: r.dataset.name,
    status: r.status,
    executor: r.executor,
    backend: r.backend,
    error: r.error,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    archivedAt: r.archivedAt,
    sweepId: r.sweepId,
    stages: summarizeStages(r.stages),
    finalScores: finalScores.get(r.id) ?? null,
  }));
}
export type RunListEntry = Awaited<ReturnType<typeof runListView>>[number];

/**
 * Sweeps as `listSweeps` returns them (newest first), each with its data set's name (its id when the data
 * set is gone) and its number of runs: the dashboard's sweep list.
 */
export async function sweepListView(db: DbClient, limit?: number) {
  const sweeps = await listSweeps(db, limit);
  const counts = await db.run.groupBy({
    by: ['sweepId'],
    where: { sweepId: { in: sweeps.map((s) => s.id) } },
    _count: { _all: true },
  });
  const datasets = await db.dataset.findMany({
    where: { id: { in: [...new Set(sweeps.map((s) => s.datasetId))] } },
    select: { id: true, name: true },
  });
  const runCounts = new Map(counts.map((c) => [c.sweepId, c._count._all]));
  const names = new Map(datasets.map((d) => [d.id, d.name]));
  return sweeps.map((s) => ({
    ...s,
    dataset: names.get(s.datasetId) ?? s.datasetId,
    runCount: runCounts.get(s.id) ?? 0,
  }));
}
export type SweepListEntry = Awaited<ReturnType<typeof sweepListView>>[number];

/** A run with stages, checkpoints, metrics and evaluations (as `captioner run show --json`). */
export async function runDetailsView(db: DbClient, id: string) {
  const run = await getRunDetails(db, id);
  return {
    ...run,
    config: readRunConfig(run),
    stages: run.stages.map((s) => ({
      ...s,
      figures: jsonColumn<Record<string, unknown> | null>(s.figures, null),
    })),
    evaluations: run.evaluations.map((e) => ({
      ...e,
      settings: jsonColumn<Record<string, unknown>>(e.settings, {}),
      ...readScores(e.scores),
    })),
    stageSummary: summarizeStages(run.stages),
  };
}
export type RunDetails = Awaited<ReturnType<typeof runDetailsView>>;

/** An evaluation's scores with its best and worst samples by CIDEr-D (as `captioner eval show --json`). */
export async function evaluationView(db: DbClient, id: string, samples: number) {
  const evaluation = await getEvaluation(db, id);
  const extremes = await getEvaluationExtremes(db, id, samples);
  const sample = (s: (typeof extremes.best)[number]) => ({
    imageId: s.imageId,
    candidate: s.candidate,
    references: jsonColumn<string[]>(s.references, []),
    Bleu_4: s.bleu4,
    CIDEr: s.cider,
    ROUGE_L: s.rougeL,
  });
  return {
    id: evaluation.id,
    runId: evaluation.runId,
    status: evaluation.status,
    split: evaluation.split,
    checkpoint: evaluation.checkpoint
      ? { id: evaluation.checkpoint.id, step: evaluation.checkpoint.step }
      : null,
    settings: jsonColumn<Record<string, unknown>>(evaluation.settings, {}),
    ...readScores(evaluation.scores),
    imageCount: evaluation.imageCount,
    error: evaluation.error,
    createdAt: evaluation.createdAt,
    best: extremes.best.map(sample),
    worst: extremes.worst.map(sample),
  };
}
