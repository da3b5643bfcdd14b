import * as tf from '@tensorflow/tfjs';
import { teacherForcedLoss } from '@captioner/model';
import type { CaptionBatch, DecoderMath } from '@captioner/model';
import type { Adam } from './adam';

export interface TrainStepOptions {
  seed: number;
  learningRate: number;
  gradClipNorm: number;
  samplingProbability: number;
  attentionRegularization: number;
}

/** One optimizer step on a batch; returns the loss tensor (the caller reads and disposes it). */
export function trainStep(math: DecoderMath, adam: Adam, batch: CaptionBatch, options: TrainStepOptions): tf.Scalar {
  const names = Object.keys(math.params);
  const variables = names.map((n) => math.params[n]);
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(
      () => teacherForcedLoss(math, batch, { seed: options.seed, training: true, samplingProbability: options.samplingProbability, attentionRegularization: options.attentionRegularization }),
      variables,
    );
    const byName: Record<string, tf.Tensor> = {};
    variables.forEach((v, i) => (byName[names[i]] = grads[v.name]));
    adam.apply(byName, options.learningRate, options.gradClipNorm).dispose();
    return value;
  });
}
