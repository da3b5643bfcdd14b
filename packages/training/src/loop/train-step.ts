import * as tf from '@tensorflow/tfjs';
import { currentBackend, teacherForcedLoss, trainingPathFor } from '@captioner/model';
import type { CaptionBatch, DecoderMath, TrainingPath } from '@captioner/model';
import type { Adam } from './adam';

export interface TrainStepOptions {
  seed: number;
  learningRate: number;
  gradClipNorm: number;
  samplingProbability: number;
  attentionRegularization: number;
  /** Weight of supervised attention (batches with `attentionCells`). @defaultValue 0 */
  attentionSupervision?: number;
  /** Dropout on (cross-entropy); self-critical steps score their samples without it. @defaultValue true */
  training?: boolean;
  /** Per-variable learning rate override (see Adam.apply). */
  learningRateOf?: (name: string) => number | undefined;
  /**
   * Which implementation computes the step (see `TrainingPath` in @captioner/model): the wasm fast path,
   * or the backend-neutral one that reads nothing back to the host inside the step.
   * @defaultValue trainingPathFor(currentBackend())
   */
  path?: TrainingPath;
}

/**
 * One optimizer step on a batch; returns the loss tensor (the caller reads and disposes it).
 * `variables` are what the optimizer trains (by default the decoder's parameters); `features`, when given,
 * computes the batch's features inside the gradient scope (end-to-end fine-tuning of the encoder).
 */
export function trainStep(
  math: DecoderMath,
  adam: Adam,
  batch: CaptionBatch,
  options: TrainStepOptions,
  variables: Record<string, tf.Variable> = math.params,
  features?: () => { pooled: tf.Tensor2D; grid?: tf.Tensor2D },
): tf.Scalar {
  const names = Object.keys(variables);
  const list = names.map((n) => variables[n]);
  const path =
    (process.env.DEBUG_TRAINING_PATH as TrainingPath | undefined) ??
    options.path ??
    trainingPathFor(currentBackend());
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () =>
        teacherForcedLoss(math, features ? { ...batch, featureTensors: features() } : batch, {
          seed: options.seed,
          training: options.training ?? true,
          samplingProbability: options.samplingProbability,
          attentionRegularization: options.attentionRegularization,
          attentionSupervision: options.attentionSupervision,
          path,
        }),
      list,
    );
    const byName: Record<string, tf.Tensor> = {};
    list.forEach((v, i) => (byName[names[i]] = grads[v.name]));
    adam.apply(byName, options.learningRate, options.gradClipNorm, options.learningRateOf, path).dispose();
    return value;
  });
}
