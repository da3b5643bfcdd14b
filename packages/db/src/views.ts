import type { DbClient } from './client';
import { getEvaluation, getEvaluationExtremes } from './repositories/evaluations';
import { getRunDetails, listRuns } from './repositories/runs';
import { jsonColumn, readRunConfig } from './json-columns';
import type { JsonValue } from './json-columns';
import { STAGE_KINDS } from './repositories/stages';

/** What the CLI's `--json`, the API and the dashboard show: database rows with their JSON columns typed. */

export type Scores = Record<string, number>;
/** Grounding figures of a shapes evaluation (counts and rates; a rate is null when nothing was stated). */
export type Grounding = Record<string, number | null>;

/**
 * Splits the `scores` column into the metric numbers and the grounding figures, so that `scores` keeps
 * holding only numbers for every reader (the dashboard, `run list`) and grounding is shown where asked.
 */
export function readScores(column: JsonValue | null | undefined): {
  scores: Scores | null;
  grounding: Grounding | null;
} {
  const raw = jsonColumn<Record<string, unknown> | null>(column, null);
  if (!raw) return { scores: null, grounding: null };
  const scores: Scores = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'number') scores[key] = value;
  const grounding = raw.grounding;
  return {
    scores,
    grounding:
      typeof grounding === 'object' && grounding !== null && !Array.isArray(grounding)
        ? (grounding as Grounding)
        : null,
  };
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
    stages: summarizeStages(r.stages),
    finalScores: finalScores.get(r.id) ?? null,
  }));
}
export type RunListEntry = Awaited<ReturnType<typeof runListView>>[number];

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
