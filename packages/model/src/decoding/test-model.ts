import * as tf from '@tensorflow/tfjs';
import { CaptionModel } from '../caption-model';
import { modelConfigSchema } from '../config';
import type { ModelConfigInput } from '../config';
import { createDecoderParams, identityFeatureNorm } from '../decoder/params';
import { SeededRandom } from '../random';
import type { DecodeFeatures } from './types';

/** A small randomly initialised caption model and random features, for decoding tests. */
export function randomCaptionModel(seed: number, decoder: ModelConfigInput['decoder'] = {}): CaptionModel {
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: 16, hiddenSize: 24, attentionSize: 8, attention: true, ...decoder },
  });
  const featureShape = { pooledSize: 12, gridPositions: 4, gridChannels: 6 };
  const spec = { decoder: config.decoder, featureShape, vocabSize: 30 };
  const params = createDecoderParams(spec, seed);
  // Random weights give nearly flat distributions; sharpen them so that beams really differ.
  tf.tidy(() => params['output/kernel'].assign(tf.mul(params['output/kernel'], tf.scalar(8))));
  return new CaptionModel(config, featureShape, spec.vocabSize, params, identityFeatureNorm(featureShape));
}

export function randomFeatures(count: number, seed: number): DecodeFeatures {
  const random = new SeededRandom(seed);
  return {
    pooled: Float32Array.from({ length: count * 12 }, () => random.normal()),
    grid: Float32Array.from({ length: count * 4 * 6 }, () => random.normal()),
    count,
  };
}
