import path from 'node:path';
import { z } from 'zod';
import { CorruptArtifactError } from '@captioner/core';
import { CHECKPOINT_META_FILE } from '@captioner/model';

/** What fixes a streamed epoch's order: shards, captions and the shuffle buffer. */
export const streamLayoutSchema = z.object({
  shards: z.number().int().nonnegative(),
  captions: z.number().int().nonnegative(),
  shuffleBuffer: z.number().int().positive(),
  /** Augmented feature views drawn from (absent: none). */
  views: z.number().int().min(2).optional(),
});
export type StreamLayout = z.infer<typeof streamLayoutSchema>;

/**
 * The training loop's state, saved in every checkpoint as `meta.training` and checked when a run resumes.
 * (Keys in this order: a resumed run writes them back exactly as an uninterrupted one does.)
 */
export const loopStateSchema = z.object({
  /** Next batch to train: epoch (0-based) and batch index within it. */
  cursor: z.object({ epoch: z.number().int().nonnegative(), batch: z.number().int().nonnegative() }),
  /** Randomness is counter-based: every draw derives from (seed, step), so the seed is the whole RNG state. */
  rng: z.object({ kind: z.literal('counter'), seed: z.number().int() }),
  /** The best epoch checkpoint so far by the validation metric. */
  best: z
    .object({
      step: z.number().int().nonnegative(),
      epoch: z.number().int().nonnegative(),
      dir: z.string().min(1),
      score: z.number(),
      metric: z.string().min(1),
    })
    .nullable(),
  epochsWithoutImprovement: z.number().int().nonnegative(),
  /**
   * Captions per step this run trains with (absent in checkpoints of earlier versions). With
   * `batchSize: 'auto'` a resumed run takes it from here instead of probing again: the data cursor
   * counts batches, so the batch size must not change under it.
   */
  batchSize: z.number().int().positive().optional(),
  /**
   * Streamed data (src/input): what, besides the cursor and the seed, fixes the order of an epoch. The
   * cursor is then the stream position: a resume replays the epoch's plan to it without reading a feature.
   */
  stream: streamLayoutSchema.optional(),
});
export type LoopState = z.infer<typeof loopStateSchema>;

/** What a checkpoint stores: the loop state, the checkpoint's kind and (epoch checkpoints) its score. */
export const savedLoopStateSchema = loopStateSchema.extend({
  kind: z.enum(['step', 'epoch']),
  valScore: z.number().optional(),
});
export type SavedLoopState = z.infer<typeof savedLoopStateSchema>;

/** The state of a run that has not trained yet. */
export function initialLoopState(seed: number, stream?: StreamLayout): LoopState {
  return {
    cursor: { epoch: 0, batch: 0 },
    rng: { kind: 'counter', seed },
    best: null,
    epochsWithoutImprovement: 0,
    ...(stream ? { stream } : {}),
  };
}

/** The saved state of the checkpoint in `checkpointDir`; a CorruptArtifactError naming the file and field otherwise. */
export function parseSavedLoopState(training: unknown, checkpointDir: string): SavedLoopState {
  const parsed = savedLoopStateSchema.safeParse(training);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['training', ...issue.path].join('.');
    throw new CorruptArtifactError(
      `${path.join(checkpointDir, CHECKPOINT_META_FILE)}: ${field}: ${issue.message} (not a training loop state this version can resume)`,
    );
  }
  return parsed.data;
}
