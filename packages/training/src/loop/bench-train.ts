import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import {
  DecoderMath,
  createDecoderParams,
  currentBackend,
  identityFeatureNorm,
  modelConfigSchema,
  randomCaptionBatch,
  timeMajorTokens,
} from '@captioner/model';
import { Adam } from './adam';
import { trainStep } from './train-step';

/** `captioner bench train` settings; the defaults are the reference configuration. */
export const benchTrainOptionsSchema = z.object({
  /** @defaultValue 256 */
  embeddingSize: z.number().int().positive().default(256),
  /** @defaultValue 512 */
  hiddenSize: z.number().int().positive().default(512),
  /** @defaultValue 3000 */
  vocabSize: z.number().int().min(5).default(3000),
  /** Words per caption (every caption has this many target tokens). @defaultValue 20 */
  captionLength: z.number().int().positive().default(20),
  /** @defaultValue 32 */
  batchSize: z.number().int().positive().default(32),
  /** Pooled feature size. @defaultValue 512 */
  featureSize: z.number().int().positive().default(512),
  /** @defaultValue 'lstm' */
  cell: z.enum(['lstm', 'gru']).default('lstm'),
  /** Timed steps (after `warmupSteps` untimed ones). @defaultValue 10 */
  steps: z.number().int().positive().default(10),
  /** @defaultValue 2 */
  warmupSteps: z.number().int().nonnegative().default(2),
});
export type BenchTrainOptions = z.input<typeof benchTrainOptionsSchema>;

/**
 * Decoder training throughput in target tokens per second: teacher forcing, masked cross-entropy, Adam,
 * gradient clipping, no attention, no dropout, on random features and captions.
 */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<{
  tokensPerSecond: number;
  /**
   * Tokens per second of this process's CPU time (user + system), all threads together. With one wasm
   * thread (`CAPTIONER_WASM_THREADS=1`) it is close to what the wall-clock figure would be on an idle
   * machine; with more, it also counts the time worker threads spend waiting for work.
   */
  tokensPerCpuSecond: number;
  steps: number;
  backend: string;
  secondsPerStep: number;
}> {
  const o = benchTrainOptionsSchema.parse(options);
  const config = modelConfigSchema.parse({
    decoder: {
      cell: o.cell,
      embeddingSize: o.embeddingSize,
      hiddenSize: o.hiddenSize,
      attention: false,
      dropout: 0,
    },
  });
  const featureShape = { pooledSize: o.featureSize, gridPositions: 0, gridChannels: 0 };
  const spec = { decoder: config.decoder, featureShape, vocabSize: o.vocabSize };
  const params = createDecoderParams(spec, 1);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const adam = new Adam(params);
  const batch = randomCaptionBatch({
    size: o.batchSize,
    captionLength: o.captionLength + 2,
    vocabSize: o.vocabSize,
    pooledSize: o.featureSize,
    lengths: 'full',
    seed: 2,
  });
  const tokens = timeMajorTokens(batch).tokens;
  const step = async (i: number) => {
    const loss = trainStep(math, adam, batch, {
      seed: i,
      learningRate: 1e-3,
      gradClipNorm: 5,
      samplingProbability: 0,
      attentionRegularization: 0,
    });
    await loss.data();
    loss.dispose();
  };
  try {
    for (let i = 0; i < o.warmupSteps; i++) await step(i);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    for (let i = 0; i < o.steps; i++) await step(i);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      tokensPerSecond: (tokens * o.steps) / seconds,
      tokensPerCpuSecond: (tokens * o.steps) / cpuSeconds,
      steps: o.steps,
      backend: currentBackend(),
      secondsPerStep: seconds / o.steps,
    };
  } finally {
    adam.dispose();
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  }
}
