import path from 'node:path';
import { SeededRandom, toFloat16 } from '@captioner/core';
import { writeFeatureShard } from '@captioner/dataset';
import type { InputSettings } from '@captioner/stage-contract';

/** What the parent tells each training process of `bench scale`. */
export interface ScaleChildArgs {
  dir: string;
  backend?: 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';
  batchSize: number;
  steps: number;
  warmupSteps: number;
  captionsPerImage: number;
  captionWords: number;
  vocabSize: number;
  input: Partial<InputSettings>;
}

/** Token ids of an image's captions, a function of its id: `<start>` w1..wL `<end>`. */
export function syntheticCaptions(
  args: Pick<ScaleChildArgs, 'captionsPerImage' | 'captionWords' | 'vocabSize'>,
): (id: string) => { ids: Int32Array; count: number } {
  const T = args.captionWords + 2;
  return (id) => {
    const random = new SeededRandom(Number(id.slice(1)) + 1);
    const ids = new Int32Array(args.captionsPerImage * T);
    for (let c = 0; c < args.captionsPerImage; c++) {
      ids[c * T] = 1;
      for (let t = 1; t <= args.captionWords; t++) ids[c * T + t] = 4 + random.int(args.vocabSize - 4);
      ids[c * T + T - 1] = 2;
    }
    return { ids, count: args.captionsPerImage };
  };
}

/**
 * Writes synthetic ResNet-50-sized feature shards: `trainImages` train images (ids `t…`) and `valImages`
 * (`v…`), `imagesPerShard` a shard. The values are seeded noise; one grid block is reused across shards
 * (what the bench measures does not depend on the values, and generating 10^10 of them would take longer
 * than the training it measures).
 */
export async function writeSyntheticShards(options: {
  dir: string;
  trainImages: number;
  valImages: number;
  imagesPerShard: number;
  pooledSize: number;
  gridPositions: number;
  gridChannels: number;
  float16: boolean;
  onShard?: (done: number, total: number) => void;
}): Promise<{ files: string[]; bytes: number }> {
  const { imagesPerShard: n, pooledSize: P, gridPositions: G, gridChannels: C } = options;
  const random = new SeededRandom(7);
  const block = Float32Array.from({ length: n * G * C }, () => Math.max(0, random.normal()));
  const grid = options.float16 ? toFloat16(block) : block;
  const pooled = Float32Array.from({ length: n * P }, () => Math.max(0, random.normal()));
  const ids = [
    ...Array.from({ length: options.trainImages }, (_, i) => `t${i}`),
    ...Array.from({ length: options.valImages }, (_, i) => `v${i}`),
  ];
  const total = Math.ceil(ids.length / n);
  const files: string[] = [];
  let bytes = 0;
  for (let s = 0; s < total; s++) {
    const part = ids.slice(s * n, (s + 1) * n);
    const file = path.join(options.dir, `features-${String(s).padStart(6, '0')}.shard`);
    const header = await writeFeatureShard(file, {
      ids: part,
      pooled: pooled.subarray(0, part.length * P),
      grid: grid.subarray(0, part.length * G * C),
      pooledSize: P,
      gridPositions: G,
      gridChannels: C,
      meta: { synthetic: true },
    });
    bytes += header.payloadBytes;
    files.push(file);
    options.onShard?.(s + 1, total);
  }
  return { files, bytes };
}
