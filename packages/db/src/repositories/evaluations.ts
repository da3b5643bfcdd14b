import { NotFoundError } from '@captioner/core';
import type { DbClient } from '../client';
import { newId } from '../ids';
import { EVALUATION_TRANSITIONS, checkTransitionWritten, statesLeadingTo } from '../state-machines';
import type { EvaluationStatus } from '../state-machines';
import { toJsonColumn } from '../json-columns';

export async function createEvaluation(
  db: DbClient,
  input: {
    runId: string;
    checkpointId: string | null;
    split: string;
    settings: unknown;
    id?: string;
    /** The evaluation that ends the run's pipeline (one per run). @defaultValue false */
    isFinal?: boolean;
  },
) {
  return db.evaluation.create({
    data: {
      id: input.id ?? newId('eval'),
      runId: input.runId,
      checkpointId: input.checkpointId,
      split: input.split,
      isFinal: input.isFinal ?? false,
      settings: toJsonColumn(input.settings),
    },
  });
}

async function readEvaluationStatus(db: DbClient, id: string) {
  return (await db.evaluation.findUnique({ where: { id }, select: { status: true } }))?.status;
}

/**
 * Moves an evaluation to `running`, `failed` or back to `queued` (a graceful stop, or `run resume`
 * for a final evaluation) if its state machine allows it; otherwise IllegalTransitionError.
 */
export async function setEvaluationStatus(
  db: DbClient,
  id: string,
  status: Exclude<EvaluationStatus, 'succeeded'>,
  error?: string,
): Promise<void> {
  const { count } = await db.evaluation.updateMany({
    where: { id, status: { in: statesLeadingTo(EVALUATION_TRANSITIONS, status) } },
    data: { status, error: error ?? null, finishedAt: status === 'failed' ? new Date() : null },
  });
  await checkTransitionWritten('evaluation', id, status, count, () => readEvaluationStatus(db, id));
}

export interface EvaluationSampleInput {
  imageId: string;
  candidate: string;
  references: string[];
  bleu4: number;
  cider: number;
  rougeL: number;
}

/**
 * The Evaluation `scores` column: corpus metrics by name (`Bleu_4`, `CIDEr`, `ROUGE_L`…) and, for data sets
 * whose images have scenes, the grounding figures under `grounding` (see `@captioner/dataset`), and the
 * captions' diversity under `diversity` (see `captionDiversity` in `@captioner/metrics`).
 */
export type StoredScores = Record<string, number | Record<string, number | null>>;

/** Stores scores and every sample at once; a re-run replaces the previous samples (never twice). */
export async function completeEvaluation(
  db: DbClient,
  id: string,
  input: { checkpointId: string | null; scores: StoredScores; samples: EvaluationSampleInput[] },
) {
  await db.$transaction(async (tx) => {
    // The status first: a finished evaluation refuses, and the transaction leaves its samples alone.
    const { count } = await tx.evaluation.updateMany({
      where: { id, status: { in: statesLeadingTo(EVALUATION_TRANSITIONS, 'succeeded') } },
      data: {
        status: 'succeeded',
        checkpointId: input.checkpointId,
        scores: toJsonColumn(input.scores),
        imageCount: input.samples.length,
        error: null,
        finishedAt: new Date(),
      },
    });
    await checkTransitionWritten('evaluation', id, 'succeeded', count, () =>
      readEvaluationStatus(tx as DbClient, id),
    );
    await tx.evaluationSample.deleteMany({ where: { evaluationId: id } });
    await tx.evaluationSample.createMany({
      data: input.samples.map((s) => ({ ...s, evaluationId: id, references: toJsonColumn(s.references) })),
    });
  });
}

/** The evaluation row, or null (stage handlers create a missing one). */
export async function findEvaluation(db: DbClient, id: string) {
  return db.evaluation.findUnique({ where: { id } });
}

/** The first `count` samples of an evaluation by image id (the demo prints them). */
export async function listEvaluationSamples(db: DbClient, id: string, count: number) {
  return db.evaluationSample.findMany({
    where: { evaluationId: id },
    orderBy: { imageId: 'asc' },
    take: count,
  });
}

export async function getEvaluation(db: DbClient, id: string) {
  const evaluation = await db.evaluation.findUnique({ where: { id }, include: { checkpoint: true } });
  if (!evaluation) throw new NotFoundError(`evaluation not found: ${id}`);
  return evaluation;
}

/** The best and worst samples by CIDEr-D, for `eval show`. */
export async function getEvaluationExtremes(db: DbClient, id: string, count = 5) {
  const best = await db.evaluationSample.findMany({
    where: { evaluationId: id },
    orderBy: { cider: 'desc' },
    take: count,
  });
  const worst = await db.evaluationSample.findMany({
    where: { evaluationId: id },
    orderBy: { cider: 'asc' },
    take: count,
  });
  return { best, worst };
}

/** The evaluation that ends a run's pipeline, or null when the run has none recorded. */
export async function findFinalEvaluation(db: DbClient, runId: string) {
  return db.evaluation.findFirst({ where: { runId, isFinal: true } });
}
