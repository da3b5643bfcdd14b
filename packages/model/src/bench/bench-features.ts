import { z } from 'zod';
import { currentBackend } from '@captioner/tfjs-backend';
import { SeededRandom } from '@captioner/core/random';
import { encoderConfigSchema } from '../config';
import { createEncoder } from '../encoder/encoder-files';
import { OnnxImageEncoder } from '../onnx/onnx-encoder';

/** `captioner bench features` settings; the defaults are PyTorch's `features_resnet34` reference workload. */
export const benchFeaturesOptionsSchema = z.object({
  /** @defaultValue 'resnet34' */
  kind: encoderConfigSchema.shape.kind.default('resnet34'),
  /** @defaultValue 224 */
  imageSize: z.number().int().min(16).default(224),
  /** @defaultValue 16 */
  batchSize: z.number().int().positive().default(16),
  /** Timed batches (after one untimed warm-up batch). @defaultValue 3 */
  batches: z.number().int().positive().default(3),
  /** @defaultValue 'onnx' */
  engine: z.enum(['onnx', 'tfjs']).default('onnx'),
  /** ONNX Runtime intra-op threads. @defaultValue 2 */
  threads: z.number().int().positive().default(2),
});
export type BenchFeaturesOptions = z.input<typeof benchFeaturesOptionsSchema>;

export interface BenchFeaturesResult {
  imagesPerSecond: number;
  /** 'onnx (cpu)', 'onnx (cuda)' or 'tfjs (wasm)': what ran the encoder. */
  engine: string;
  kind: string;
  imageSize: number;
  batchSize: number;
  batches: number;
  secondsPerBatch: number;
}

/**
 * Encoder throughput, pooled features only (as PyTorch's reference with `fc = Identity`), random weights,
 * random pixels; the ONNX graph is written from the same tfjs encoder the tfjs engine runs.
 */
export async function benchFeatures(options: BenchFeaturesOptions = {}): Promise<BenchFeaturesResult> {
  const o = benchFeaturesOptionsSchema.parse(options);
  const config = encoderConfigSchema.parse({ kind: o.kind, imageSize: o.imageSize });
  const tfjs = await createEncoder(config, 1);
  const random = new SeededRandom(3);
  const images = Float32Array.from({ length: o.batchSize * o.imageSize * o.imageSize * 3 }, () =>
    random.normal(),
  );
  let encode: () => Promise<unknown>;
  let engine: string;
  let release = async () => {};
  if (o.engine === 'onnx') {
    const onnx = await OnnxImageEncoder.fromImageEncoder(tfjs, { threads: o.threads });
    tfjs.dispose();
    encode = () => onnx.encode(images, o.batchSize, { grid: false });
    engine = `onnx (${onnx.provider})`;
    release = () => onnx.dispose();
  } else {
    encode = () => tfjs.encode(images, o.batchSize);
    engine = `tfjs (${currentBackend()})`;
    release = async () => tfjs.dispose();
  }
  try {
    await encode();
    const started = performance.now();
    for (let i = 0; i < o.batches; i++) await encode();
    const seconds = (performance.now() - started) / 1000;
    return {
      imagesPerSecond: (o.batchSize * o.batches) / seconds,
      engine,
      kind: o.kind,
      imageSize: o.imageSize,
      batchSize: o.batchSize,
      batches: o.batches,
      secondsPerBatch: seconds / o.batches,
    };
  } finally {
    await release();
  }
}
