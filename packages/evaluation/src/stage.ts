import { NotFoundError, artifactPaths, describeError } from '@captioner/core';
import {
  completeEvaluation,
  createEvaluation,
  findCheckpoint,
  getRun,
  listShards,
  setEvaluationStatus,
} from '@captioner/db';
import type { StageContext } from '@captioner/db';
import { loadVocabulary, readFeatureSet, readManifest, splitItems } from '@captioner/dataset';
import { scoreCaptions } from '@captioner/metrics';
import { initBackend, loadCaptionModel } from '@captioner/model';
import { decodeFeatureSet } from './caption-split';

export interface EvaluateStageInput {
  runId: string;
  evaluationId: string;
  checkpoint: string;
  split: 'val' | 'test';
  beamSize: number;
  maxImages: number;
}

/**
 * The evaluate stage handler: decode a split with a checkpoint, score it as coco-caption does, and
 * store the corpus scores and every image's caption and scores in the Evaluation row.
 */
export async function evaluateStage(payload: EvaluateStageInput, ctx: StageContext): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const existing = await ctx.db.evaluation.findUnique({ where: { id: payload.evaluationId } });
  if (!existing) {
    await createEvaluation(ctx.db, {
      id: payload.evaluationId,
      runId: run.id,
      checkpointId: null,
      split: payload.split,
      settings: { checkpoint: payload.checkpoint, beamSize: payload.beamSize, maxImages: payload.maxImages },
    });
  }
  await setEvaluationStatus(ctx.db, payload.evaluationId, 'running');
  try {
    const checkpoint = await findCheckpoint(ctx.db, run.id, payload.checkpoint);
    if (!checkpoint) throw new NotFoundError(`run ${run.id}: no checkpoint matches "${payload.checkpoint}"`);
    const paths = artifactPaths(ctx.config.home);
    const manifest = await readManifest(run.dataset.manifestPath);
    const vocabulary = await loadVocabulary(paths.vocabulary(run.id));
    let items = splitItems(manifest, payload.split);
    if (payload.maxImages > 0) items = items.slice(0, payload.maxImages);
    const shardFiles = (await listShards(ctx.db, run.id, 'features')).map((s) => s.path);
    const features = await readFeatureSet(shardFiles, new Set(items.map((i) => i.id)));
    if (features.ids.length === 0)
      throw new NotFoundError(`run ${run.id}: the ${payload.split} split has no images`);

    await initBackend(ctx.config.backend);
    const model = await loadCaptionModel(checkpoint.path);
    let tokens: number[][];
    try {
      tokens = await decodeFeatureSet(model, features, {
        beamSize: payload.beamSize,
        withGrid: model.config.decoder.attention,
        signal: ctx.signal,
        onProgress: (update) => {
          void ctx.reportProgress({ ...update, fraction: update.fraction * 0.95 }).catch(() => {});
        },
      });
    } finally {
      model.dispose();
    }

    const captionsById = new Map(items.map((item) => [item.id, item.captions]));
    const refs: Record<string, string[]> = {};
    const cands: Record<string, string> = {};
    features.ids.forEach((id, row) => {
      refs[id] = captionsById.get(id) ?? [];
      cands[id] = vocabulary.decode(tokens[row]);
    });
    const scores = scoreCaptions({ refs, cands });
    await completeEvaluation(ctx.db, payload.evaluationId, {
      checkpointId: checkpoint.id,
      scores: scores.corpus as unknown as Record<string, number>,
      samples: features.ids.map((id) => ({
        imageId: id,
        candidate: cands[id],
        references: refs[id],
        bleu4: scores.perImage[id].Bleu_4,
        cider: scores.perImage[id].CIDEr,
        rougeL: scores.perImage[id].ROUGE_L,
      })),
    });
    await ctx.reportProgress({ fraction: 1, message: `${features.ids.length} images scored` });
  } catch (error) {
    await setEvaluationStatus(ctx.db, payload.evaluationId, 'failed', describeError(error)).catch(() => {});
    throw error;
  }
}
