import { NotFoundError, artifactPaths, warnOnFailure } from '@captioner/core';
import type { ProgressUpdate } from '@captioner/core';
import {
  completeEvaluation,
  createEvaluation,
  findCheckpoint,
  findEvaluation,
  getRun,
  recordRunLog,
  setEvaluationStatus,
} from '@captioner/db';
import { decodingSettingsOf } from '@captioner/stage-contract';
import type { StageContext } from '@captioner/stage-contract';
import { loadVocabulary } from '@captioner/dataset';
import { inferenceEncoder, initBackend, loadCaptionModel, loadFineTunedEncoder } from '@captioner/model';
import { captionAndScore, loadSplitData } from './split-data';
import type { SplitData } from './split-data';

export interface EvaluateStageInput {
  runId: string;
  evaluationId: string;
  checkpoint: string;
  split: 'val' | 'test';
  beamSize: number;
  /** Decoding controls (see `decodingSettingsSchema`); absent: 0, 0 and the decoder's maxLength. */
  lengthPenalty?: number;
  noRepeatNgramSize?: number;
  maxLength?: number;
  maxImages: number;
}

/**
 * The evaluate stage handler: decode a split with a checkpoint, score it as coco-caption does, and
 * store the corpus scores and every image's caption and scores in the Evaluation row.
 */
export async function evaluateStage(payload: EvaluateStageInput, ctx: StageContext): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const existing = await findEvaluation(ctx.db, payload.evaluationId);
  if (!existing) {
    await createEvaluation(ctx.db, {
      id: payload.evaluationId,
      runId: run.id,
      checkpointId: null,
      split: payload.split,
      settings: {
        checkpoint: payload.checkpoint,
        ...decodingSettingsOf({ lengthPenalty: 0, noRepeatNgramSize: 0, ...payload }),
        maxImages: payload.maxImages,
      },
    });
  }
  // Its failure is recorded by the stage runner, which knows whether it will be retried.
  await setEvaluationStatus(ctx.db, payload.evaluationId, 'running');
  const checkpoint = await findCheckpoint(ctx.db, run.id, payload.checkpoint);
  if (!checkpoint) throw new NotFoundError(`run ${run.id}: no checkpoint matches "${payload.checkpoint}"`);
  const paths = artifactPaths(ctx.config.home);
  const vocabulary = await loadVocabulary(paths.vocabulary(run.id));
  await initBackend(ctx.config.backend);
  const model = await loadCaptionModel(checkpoint.path);
  const report = (from: number, to: number) => (update: ProgressUpdate) => {
    void ctx
      .reportProgress({ ...update, fraction: from + update.fraction * (to - from) })
      .catch(warnOnFailure(ctx.logger, 'recording progress'));
  };
  let result: Awaited<ReturnType<typeof captionAndScore>>;
  let data: SplitData;
  try {
    // A fine-tuned checkpoint carries its own encoder weights: the run's feature shards are stale for it.
    const encoder = model.config.encoder.trainable
      ? await loadFineTunedEncoder(paths.encoderDir(run.id), checkpoint.path)
      : undefined;
    try {
      // The same engine choice as the extract stage (ONNX Runtime when it loads, CAPTIONER_INFERENCE);
      // its session, keyed by the checkpoint's weights, lives until the worker releases its sessions.
      const inference = encoder
        ? await inferenceEncoder(encoder, `${checkpoint.path}#encoder`, {
            onWarning: (message) => ctx.logger.warn({ runId: run.id }, message),
          })
        : undefined;
      if (inference)
        await recordRunLog(ctx.db, {
          runId: run.id,
          stage: 'evaluate',
          level: 'info',
          message: `evaluation ${payload.evaluationId}: fine-tuned encoder run on ${inference.engine}`,
        });
      data = await loadSplitData(ctx.db, run, payload.split, payload.maxImages, {
        encoder: inference?.encoder,
        signal: ctx.signal,
        onProgress: report(0, 0.3),
      });
    } finally {
      encoder?.dispose();
    }
    result = await captionAndScore(model, data, vocabulary, {
      beamSize: payload.beamSize,
      lengthPenalty: payload.lengthPenalty,
      noRepeatNgramSize: payload.noRepeatNgramSize,
      maxLength: payload.maxLength,
      signal: ctx.signal,
      onProgress: report(encoder ? 0.3 : 0, 0.95),
    });
  } finally {
    model.dispose();
  }
  const { refs, cands, scores, grounding, diversity } = result;
  const ids = data.features.ids;
  await completeEvaluation(ctx.db, payload.evaluationId, {
    checkpointId: checkpoint.id,
    // Grounding and diversity go under their own keys, so readers of the metric numbers (Bleu_4,
    // CIDEr…) are unaffected.
    scores: grounding ? { ...scores.corpus, diversity, grounding } : { ...scores.corpus, diversity },
    samples: ids.map((id) => ({
      imageId: id,
      candidate: cands[id],
      references: refs[id],
      bleu4: scores.perImage[id].Bleu_4,
      cider: scores.perImage[id].CIDEr,
      rougeL: scores.perImage[id].ROUGE_L,
    })),
  });
  await ctx.reportProgress({ fraction: 1, message: `${ids.length} images scored` });
}
