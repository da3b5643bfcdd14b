/**
 * Times encoder pretraining (src/encoder-pretrain) on the demo's shapes data and scores it on the test
 * split (share of occupied scene cells whose shape the cell-averaged features tell).
 *   cd packages/training && N=1500 EPOCHS=4 WIDTH=16 npx tsx scripts/pretrain-encoder-bench.ts
 */
import path from 'node:path';
import { synthesizeShapes } from '@captioner/dataset';
import { encoderConfigSchema, initBackend } from '@captioner/model';
import { pretrainEncoder, scoreCellLabels } from '../src/encoder-pretrain/pretrain-encoder';
import { loadShapesSplit } from './shapes-split';

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

const train = await loadShapesSplit(manifest, 'train', S);
const test = await loadShapesSplit(manifest, 'test', S);
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
