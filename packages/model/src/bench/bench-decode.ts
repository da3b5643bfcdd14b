import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { currentBackend } from '@captioner/tfjs-backend';
import { SeededRandom } from '@captioner/core/random';
import { modelConfigSchema } from '../config';
import { DecoderMath } from '../decoder/decoder';
import { createDecoderParams, identityFeatureNorm } from '../decoder/params';
import { decodeGreedy } from '../search/greedy';

/** `captioner bench decode` settings; the defaults are PyTorch's `greedy_decode` reference workload. */
export const benchDecodeOptionsSchema = z.object({
  /** @defaultValue 256 */
  embeddingSize: z.number().int().positive().default(256),
  /** @defaultValue 512 */
  hiddenSize: z.number().int().positive().default(512),
  /** @defaultValue 3000 */
  vocabSize: z.number().int().min(5).default(3000),
  /** Words decoded per caption. @defaultValue 20 */
  maxLength: z.number().int().positive().default(20),
  /** @defaultValue 32 */
  batchSize: z.number().int().positive().default(32),
  /** Pooled feature size. @defaultValue 512 */
  featureSize: z.number().int().positive().default(512),
  /** Timed batches (after one untimed warm-up). @defaultValue 5 */
  batches: z.number().int().positive().default(5),
});
export type BenchDecodeOptions = z.input<typeof benchDecodeOptionsSchema>;

export interface BenchDecodeResult {
  captionsPerSecond: number;
  /** Decoding steps per batch actually run (greedy decoding stops when every caption has ended). */
  stepsPerBatch: number;
  engine: string;
  batchSize: number;
  batches: number;
  secondsPerBatch: number;
}

/**
 * Greedy decoding throughput of the `bench train` decoder (LSTM, no attention) on random weights and
 * features: captions per second, as PyTorch's reference with `max_len = 20`.
 */
export async function benchDecode(options: BenchDecodeOptions = {}): Promise<BenchDecodeResult> {
  const o = benchDecodeOptionsSchema.parse(options);
  const config = modelConfigSchema.parse({
    decoder: {
      embeddingSize: o.embeddingSize,
      hiddenSize: o.hiddenSize,
      attention: false,
      dropout: 0,
      maxLength: o.maxLength,
    },
  });
  const featureShape = { pooledSize: o.featureSize, gridPositions: 0, gridChannels: 0 };
  const spec = { decoder: config.decoder, featureShape, vocabSize: o.vocabSize };
  const params = createDecoderParams(spec, 1);
  const norm = identityFeatureNorm(featureShape);
  const math = new DecoderMath(spec, params, norm);
  const random = new SeededRandom(2);
  const features = {
    pooled: Float32Array.from({ length: o.batchSize * o.featureSize }, () => random.normal()),
    count: o.batchSize,
  };
  try {
    await decodeGreedy(math, features, o.maxLength);
    let steps = 0;
    const started = performance.now();
    for (let i = 0; i < o.batches; i++) {
      const beams = await decodeGreedy(math, features, o.maxLength);
      steps += Math.max(...beams.map((b) => b.tokens.length + (b.finished ? 1 : 0)));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      captionsPerSecond: (o.batchSize * o.batches) / seconds,
      stepsPerBatch: steps / o.batches,
      engine: `tfjs (${currentBackend()})`,
      batchSize: o.batchSize,
      batches: o.batches,
      secondsPerBatch: seconds / o.batches,
    };
  } finally {
    tf.dispose([...Object.values(params), ...Object.values(norm)]);
  }
}
