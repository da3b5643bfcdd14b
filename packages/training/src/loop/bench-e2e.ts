import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  DecoderMath,
  SeededRandom,
  blockNames,
  createDecoderParams,
  createEncoder,
  currentBackend,
  encoderConfigSchema,
  identityFeatureNorm,
  modelConfigSchema,
  randomCaptionBatch,
} from '@captioner/model';
import { Adam } from './adam';
import { trainStep } from './train-step';

/**
 * `captioner bench e2e` settings; the defaults are torch_anchor.py's `train_e2e_resnet18`: ResNet-18 at
 * 224 px + the decoder of `bench train` (E256 H512 V3000, 20 words), batch 8.
 */
export const benchE2eOptionsSchema = z.object({
  /** @defaultValue 'resnet18' */
  kind: z.enum(['resnet18', 'resnet34', 'resnet50', 'small-resnet']).default('resnet18'),
  /** @defaultValue 224 */
  imageSize: z.number().int().min(32).default(224),
  /** @defaultValue 8 */
  batchSize: z.number().int().positive().default(8),
  /** @defaultValue 256 */
  embeddingSize: z.number().int().positive().default(256),
  /** @defaultValue 512 */
  hiddenSize: z.number().int().positive().default(512),
  /** @defaultValue 3000 */
  vocabSize: z.number().int().min(5).default(3000),
  /** @defaultValue 20 */
  captionLength: z.number().int().positive().default(20),
  /** Timed steps (after `warmupSteps` untimed ones). @defaultValue 3 */
  steps: z.number().int().positive().default(3),
  /** @defaultValue 1 */
  warmupSteps: z.number().int().nonnegative().default(1),
});
export type BenchE2eOptions = z.input<typeof benchE2eOptionsSchema>;

export interface BenchE2eResult {
  imagesPerSecond: number;
  secondsPerStep: number;
  steps: number;
  backend: string;
  kind: string;
  imageSize: number;
  batchSize: number;
  /** Encoder + decoder values the optimizer trains. */
  trainedParameters: number;
}

/**
 * A whole fine-tuning step (encoder forward, decoder with teacher forcing, masked cross-entropy, backward
 * through both, Adam on both) on random images and captions, as the training loop runs it with
 * `encoder.trainable`. Differences from torch_anchor.py: every residual block trains but the stem
 * (conv1) stays frozen, and batch norm runs on its moving statistics (Captioner fine-tunes that way,
 * see ImageEncoder.apply) where PyTorch's module in train mode uses batch statistics.
 */
export async function benchE2e(options: BenchE2eOptions = {}): Promise<BenchE2eResult> {
  const o = benchE2eOptionsSchema.parse(options);
  const encoder = await createEncoder(
    encoderConfigSchema.parse({
      kind: o.kind,
      imageSize: o.imageSize,
      trainable: true,
      trainableBlocks: blockNames(o.kind).length,
    }),
    1,
  );
  const featureShape = { pooledSize: encoder.pooledSize, gridPositions: 0, gridChannels: 0 };
  const config = modelConfigSchema.parse({
    decoder: { embeddingSize: o.embeddingSize, hiddenSize: o.hiddenSize, attention: false, dropout: 0 },
  });
  const spec = { decoder: config.decoder, featureShape, vocabSize: o.vocabSize };
  const params = createDecoderParams(spec, 1);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const variables: Record<string, tf.Variable> = { ...params };
  for (const v of encoder.trainableVariables()) variables[`encoder/${v.name}`] = v;
  const adam = new Adam(variables);
  // The batch's pooled features are unused: `features` computes them from the images.
  const batch = randomCaptionBatch({
    size: o.batchSize,
    captionLength: o.captionLength + 2,
    vocabSize: o.vocabSize,
    pooledSize: featureShape.pooledSize,
    lengths: 'full',
    seed: 3,
  });
  const random = new SeededRandom(4);
  const S = o.imageSize;
  const images = tf.tensor4d(
    Float32Array.from({ length: o.batchSize * S * S * 3 }, () => random.normal()),
    [o.batchSize, S, S, 3],
  );
  const features = () => ({ pooled: tf.mean(encoder.apply(images), [1, 2]) as tf.Tensor2D });
  const step = async (i: number) => {
    const loss = trainStep(
      math,
      adam,
      batch,
      { seed: i, learningRate: 1e-4, gradClipNorm: 5, samplingProbability: 0, attentionRegularization: 0 },
      variables,
      features,
    );
    await loss.data();
    loss.dispose();
  };
  try {
    for (let i = 0; i < o.warmupSteps; i++) await step(i);
    const started = performance.now();
    for (let i = 0; i < o.steps; i++) await step(o.warmupSteps + i);
    const seconds = (performance.now() - started) / 1000;
    return {
      imagesPerSecond: (o.batchSize * o.steps) / seconds,
      secondsPerStep: seconds / o.steps,
      steps: o.steps,
      backend: currentBackend(),
      kind: o.kind,
      imageSize: o.imageSize,
      batchSize: o.batchSize,
      trainedParameters: Object.values(variables).reduce((n, v) => n + v.size, 0),
    };
  } finally {
    adam.dispose();
    images.dispose();
    encoder.dispose();
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  }
}
