/**
 * Times encoder pretraining (src/encoder-pretrain) on the demo's shapes data and scores it on the test
 * split (share of occupied scene cells whose shape the cell-averaged features tell).
 *   cd packages/training && N=1500 EPOCHS=4 WIDTH=16 npx tsx scripts/pretrain-encoder-bench.ts
 */
import path from 'node:path';
import sharp from 'sharp';
import { imagePath, normalizeImages, splitItems, synthesizeShapes } from '@captioner/dataset';
import type { DatasetManifest } from '@captioner/dataset';
import { encoderConfigSchema, initBackend } from '@captioner/model';
import { pretrainEncoder, scoreCellLabels } from '../src/encoder-pretrain/pretrain-encoder';

const N = Number(process.env.N ?? 1500);
const EPOCHS = Number(process.env.EPOCHS ?? 4);
const S = 64;
await initBackend('wasm');
const { manifest } = await synthesizeShapes({
  outDir: path.join(`/tmp/shapes-pretrain-${N}`, 'data'),
  images: N,
  seed: 1,
  imageSize: S,
});

async function load(data: DatasetManifest, split: 'train' | 'test') {
  const items = splitItems(data, split);
  const pixels = new Uint8Array(items.length * S * S * 3);
  for (let i = 0; i < items.length; i++) {
    const raw = await sharp(imagePath(data, items[i]))
      .removeAlpha()
      .resize(S, S, { fit: 'fill' })
      .raw()
      .toBuffer();
    pixels.set(raw, i * S * S * 3);
  }
  return { images: normalizeImages(pixels), scenes: items.map((item) => item.scene!) };
}

const train = await load(manifest, 'train');
const test = await load(manifest, 'test');
const started = Date.now();
const result = await pretrainEncoder({
  config: encoderConfigSchema.parse({ imageSize: S, width: Number(process.env.WIDTH ?? 16) }),
  seed: 1,
  ...train,
  epochs: EPOCHS,
  batchSize: Number(process.env.BATCH ?? 16),
  learningRate: Number(process.env.LR ?? 0.002),
  onProgress: (u) => {
    if (u.step === u.steps)
      console.log(
        `epoch ${u.epoch} loss ${u.loss.toFixed(3)} ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
  },
});
const seconds = (Date.now() - started) / 1000;
const heldOut = await scoreCellLabels(result.encoder, result.head, test.images, test.scenes);
console.log(
  JSON.stringify({
    trainImages: train.scenes.length,
    seconds,
    imagesPerSecond: (train.scenes.length * EPOCHS) / seconds,
    trainAccuracy: result.accuracy,
    test: heldOut,
  }),
);
