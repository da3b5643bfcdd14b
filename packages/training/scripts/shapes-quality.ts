/**
 * Quality check on the synthetic shapes data set, the path the demo takes: synthesize -> resize ->
 * frozen random small-resnet encoder (seed 1234) -> pooled + grid features -> trainCaptioner -> best
 * checkpoint decoded on the test split and scored with coco-caption's BLEU-4 and CIDEr-D.
 *
 *   cd packages/training && N=1500 S=64 TRAIN='{"epochs":3}' npx tsx scripts/shapes-quality.ts
 *
 * Env: N images (1500, the demo's), S image size (64), TRAIN / DEC JSON overrides of the training config
 * and the decoder config, LP length penalty for the beam-3 evaluation (0), EVAL=<checkpoint dir> to only
 * evaluate an existing checkpoint.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { splitItems } from '@captioner/dataset';
import { buildVocabulary, readManifest, synthesizeShapes } from '@captioner/dataset';
import { scoreCaptions } from '@captioner/metrics';
import { createEncoder, initBackend, loadCaptionModel, modelConfigSchema } from '@captioner/model';
import { trainCaptioner, trainingConfigSchema } from '../src/index';
import { loadShapesSplit } from './shapes-split';

const N = Number(process.env.N ?? 1500);
const S = Number(process.env.S ?? 64);
const root = `/tmp/shapes-demo-${N}-${S}`;
const backend = await initBackend('wasm');
const manifestFile = path.join(root, 'data', 'manifest.json');
try {
  await fs.access(manifestFile);
} catch {
  await synthesizeShapes({ outDir: path.join(root, 'data'), images: N, seed: 1, imageSize: S });
}
const manifest = await readManifest(manifestFile);
const vocab = buildVocabulary(manifest, { minCount: 1, maxLength: 16 });
const modelConfig = modelConfigSchema.parse({
  encoder: { imageSize: S },
  decoder: JSON.parse(process.env.DEC ?? '{}'),
});

const t0 = Date.now();
const encoder = await createEncoder(modelConfig.encoder, 1234);
const feats: Record<
  string,
  { pooled: Float32Array; grid: Float32Array; items: ReturnType<typeof splitItems> }
> = {};
for (const split of ['train', 'val', 'test'] as const) {
  const { items, images } = await loadShapesSplit(manifest, split, S);
  const pooled = new Float32Array(items.length * encoder.pooledSize);
  const grid = new Float32Array(items.length * encoder.gridPositions * encoder.gridChannels);
  for (let s = 0; s < items.length; s += 64) {
    const n = Math.min(64, items.length - s);
    const f = await encoder.encode(images.subarray(s * S * S * 3, (s + n) * S * S * 3), n);
    pooled.set(f.pooled, s * encoder.pooledSize);
    grid.set(f.grid, s * encoder.gridPositions * encoder.gridChannels);
  }
  feats[split] = { pooled, grid, items };
}
console.log(`backend ${backend}; features in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

let bestDir = process.env.EVAL;
if (!bestDir) {
  const enc = vocab.encodeBatch(feats.train.items.flatMap((it) => it.captions));
  const captionImage = Int32Array.from(feats.train.items.flatMap((it, i) => it.captions.map(() => i)));
  const t1 = Date.now();
  const result = await trainCaptioner({
    modelConfig,
    trainingConfig: trainingConfigSchema.parse(JSON.parse(process.env.TRAIN ?? '{}')),
    checkpointsDir: path.join(root, `checkpoints-${Date.now()}`),
    data: {
      vocabSize: vocab.size,
      featureShape: {
        pooledSize: encoder.pooledSize,
        gridPositions: encoder.gridPositions,
        gridChannels: encoder.gridChannels,
      },
      train: {
        pooled: feats.train.pooled,
        grid: feats.train.grid,
        images: feats.train.items.length,
        captions: enc.ids,
        captionLength: enc.length,
        captionImage,
      },
      val: {
        pooled: feats.val.pooled,
        grid: feats.val.grid,
        images: feats.val.items.length,
        references: feats.val.items.map((it) => it.captions),
      },
      decodeTokens: (ids) => vocab.decode(ids),
    },
    onProgress: (u) => {
      if (u.message?.includes('val') || (u.figures?.step ?? 1) % 50 === 0) {
        console.log(
          `${((Date.now() - t1) / 1000).toFixed(0)} s  ${u.message}  ${u.figures?.tokensPerSecond?.toFixed(0) ?? ''}`,
        );
      }
    },
  });
  console.log(
    `training: ${((Date.now() - t1) / 1000).toFixed(0)} s, ${result.steps} steps, best step ${result.best?.step} (val ${result.best?.metric} ${result.best?.valScore?.toFixed(3)})`,
  );
  bestDir = result.best!.dir;
}
const model = await loadCaptionModel(bestDir);
for (const beamSize of [1, 3]) {
  const caps = await model.decode(
    { pooled: feats.test.pooled, grid: feats.test.grid, count: feats.test.items.length },
    { beamSize, lengthPenalty: Number(process.env.LP ?? 0) },
  );
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  feats.test.items.forEach((it, i) => {
    refs[it.id] = it.captions;
    cands[it.id] = vocab.decode(caps[i]);
  });
  const s = scoreCaptions({ refs, cands });
  console.log(
    `test (${feats.test.items.length} images) beam ${beamSize}: BLEU-4 ${s.corpus.Bleu_4.toFixed(3)} CIDEr-D ${s.corpus.CIDEr.toFixed(3)}  e.g. "${cands[feats.test.items[0].id]}"`,
  );
}
model.dispose();
