/**
 * Issue 18 experiment: does the decoder name what is where when it reads the pretraining head's per-cell
 * class logits or probabilities (9 scene cells x 31 classes) instead of the encoder's raw 8x8 grid?
 * Pretrains the demo's encoder (width 16, 4 epochs) on the demo's data (1,500 images, seed 1), trains the
 * demo's decoder (lr 0.01, 3 epochs, batch 32, seed 42) on each kind of features in memory, and prints
 * the test split's grounding after each epoch (beam 3; the test split stands in for validation, so read
 * the last epoch). Results: packages/model/README.md, "Grounding of the demo's model".
 *   cd packages/training && FEATURES=raw,cells,cell-probs npx tsx scripts/cell-head-experiment.ts
 * FEATURES: raw, cells (logits), cell-probs (what the demo's cell head gives), cell-probs-flat (and the
 * initial state reads every cell), cell-probs-where (each cell's probabilities in its own channels),
 * cell-probs-attend (no pooled vector: only attention tells the shapes). Also EPOCHS, LR, SEED, ATTN_REG
 * (attention regularisation), ATTENTION=0 (no attention), CACHE (a directory that keeps the pretrained
 * encoder between runs) and RELATIONS=1 (then the teacher-forced relation-word check).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildVocabulary, groundCaptions, synthesizeShapes } from '@captioner/dataset';
import type { Scene } from '@captioner/dataset';
import { ptbTokenizeToString, scoreCaptions } from '@captioner/metrics';
import * as tf from '@tensorflow/tfjs';
import {
  START_ID,
  encoderConfigSchema,
  initBackend,
  loadCaptionModel,
  loadEncoder,
  modelConfigSchema,
  saveEncoder,
} from '@captioner/model';
import type { ImageEncoder } from '@captioner/model';
import { pretrainEncoder } from '../src/encoder-pretrain/pretrain-encoder';
import type { CellHead } from '../src/encoder-pretrain/pretrain-encoder';
import { SCENE_CELLS, gridPositionCells } from '../src/encoder-pretrain/scene-labels';
import { trainingConfigSchema } from '../src/loop/config';
import { trainCaptioner } from '../src/loop/train-captioner';
import type { InMemoryTrainingData } from '../src/loop/types';
import { loadShapesSplit } from './shapes-split';

const S = 64;
const EPOCHS = Number(process.env.EPOCHS ?? 3);
await initBackend('wasm');
const { manifest } = await synthesizeShapes({
  outDir: path.join(os.tmpdir(), 'shapes-cell-head', 'data'),
  images: 1500,
  seed: 1,
  imageSize: S,
});

const train = await loadShapesSplit(manifest, 'train', S);
const test = await loadShapesSplit(manifest, 'test', S);
// The pretrained encoder and head are kept in CACHE (a directory) when set, so that decoder variants
// skip the two minutes of pretraining.
async function pretrained(): Promise<{ encoder: ImageEncoder; head: CellHead }> {
  const cache = process.env.CACHE;
  if (cache && fs.existsSync(path.join(cache, 'head.json'))) {
    const saved = JSON.parse(fs.readFileSync(path.join(cache, 'head.json'), 'utf8')) as {
      kernel: number[];
      bias: number[];
    };
    const head = { kernel: Float32Array.from(saved.kernel), bias: Float32Array.from(saved.bias) };
    return { encoder: await loadEncoder(cache), head };
  }
  const started = Date.now();
  const result = await pretrainEncoder({
    config: encoderConfigSchema.parse({ imageSize: S, width: 16 }),
    seed: 1,
    images: train.images,
    scenes: train.scenes,
    epochs: 4,
  });
  console.log(`pretrained in ${((Date.now() - started) / 1000).toFixed(0)} s, accuracy ${result.accuracy}`);
  if (cache) {
    await saveEncoder(result.encoder, cache);
    const { kernel, bias } = result.head;
    fs.writeFileSync(path.join(cache, 'head.json'), JSON.stringify({ kernel: [...kernel], bias: [...bias] }));
  }
  return result;
}
const { encoder, head } = await pretrained();

/** The head's logits of each scene cell (features averaged over the cell's positions, as in pretraining). */
function cellLogits(grid: Float32Array, n: number, C: number, h: CellHead, softmax: boolean) {
  const positions = encoder.gridPositions;
  const side = Math.round(Math.sqrt(positions));
  const cells = gridPositionCells(side, positions / side);
  const K = h.bias.length;
  const out = new Float32Array(n * SCENE_CELLS * K);
  const pooled = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    const sums = new Float32Array(SCENE_CELLS * C);
    const counts = new Float32Array(SCENE_CELLS);
    cells.forEach((cell, p) => {
      counts[cell]++;
      for (let c = 0; c < C; c++) sums[cell * C + c] += grid[(i * positions + p) * C + c];
    });
    for (let cell = 0; cell < SCENE_CELLS; cell++) {
      const logits = out.subarray((i * SCENE_CELLS + cell) * K, (i * SCENE_CELLS + cell + 1) * K);
      for (let k = 0; k < K; k++) {
        let v = h.bias[k];
        for (let c = 0; c < C; c++) v += (sums[cell * C + c] / counts[cell]) * h.kernel[c * K + k];
        logits[k] = v;
      }
      if (softmax) {
        const max = Math.max(...logits);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += logits[k] = Math.exp(logits[k] - max);
        for (let k = 0; k < K; k++) logits[k] /= sum;
      }
      for (let k = 0; k < K; k++) pooled[i * K + k] += logits[k] / SCENE_CELLS;
    }
  }
  return { pooled, grid: out, shape: { pooledSize: K, gridPositions: SCENE_CELLS, gridChannels: K } };
}

async function features(kind: string, images: Float32Array, n: number) {
  const encoded = await encoder.encode(images, n);
  if (kind === 'raw')
    return {
      ...encoded,
      shape: {
        pooledSize: encoder.pooledSize,
        gridPositions: encoder.gridPositions,
        gridChannels: encoder.gridChannels,
      },
    };
  const cells = cellLogits(encoded.grid, n, encoder.gridChannels, head, kind.startsWith('cell-probs'));
  // cell-probs-attend: no pooled features (zeros), so that only attention can tell the decoder the shapes.
  if (kind === 'cell-probs-attend') return { ...cells, pooled: new Float32Array(cells.pooled.length) };
  // cell-probs-where: each cell's probabilities in the channels of its own cell (zeros elsewhere), so that
  // what the decoder attends to says where it is as well as what.
  if (kind === 'cell-probs-where') {
    const K = cells.shape.gridChannels;
    const where = new Float32Array(n * SCENE_CELLS * SCENE_CELLS * K);
    for (let i = 0; i < n; i++)
      for (let cell = 0; cell < SCENE_CELLS; cell++)
        where.set(
          cells.grid.subarray((i * SCENE_CELLS + cell) * K, (i * SCENE_CELLS + cell + 1) * K),
          (i * SCENE_CELLS + cell) * SCENE_CELLS * K + cell * K,
        );
    return { ...cells, grid: where, shape: { ...cells.shape, gridChannels: SCENE_CELLS * K } };
  }
  // cell-probs-flat: the initial state reads the whole layout (every cell's probabilities), not their mean.
  if (kind === 'cell-probs-flat')
    return {
      ...cells,
      pooled: cells.grid,
      shape: { ...cells.shape, pooledSize: SCENE_CELLS * cells.shape.gridChannels },
    };
  return cells;
}

const vocabulary = buildVocabulary(manifest, { minCount: 1, maxLength: 16 });
const trainCaptions: string[] = [];
const captionImage: number[] = [];
train.items.forEach((item, i) =>
  item.captions.forEach((c) => {
    trainCaptions.push(c);
    captionImage.push(i);
  }),
);
const encoded = vocabulary.encodeBatch(trainCaptions);
const scenes = new Map<string, Scene>(test.items.map((item) => [item.id, item.scene!]));

for (const kind of (process.env.FEATURES ?? 'raw,cells').split(',')) {
  const trainFeatures = await features(kind, train.images, train.items.length);
  const testFeatures = await features(kind, test.images, test.items.length);
  const data: InMemoryTrainingData = {
    vocabSize: vocabulary.size,
    featureShape: trainFeatures.shape,
    train: {
      pooled: trainFeatures.pooled,
      grid: trainFeatures.grid,
      images: train.items.length,
      captions: encoded.ids,
      captionLength: encoded.length,
      captionImage: Int32Array.from(captionImage),
    },
    val: {
      pooled: testFeatures.pooled,
      grid: testFeatures.grid,
      images: test.items.length,
      references: test.items.map((item) => item.captions.map(ptbTokenizeToString)),
      ids: test.items.map((item) => item.id),
    },
    decodeTokens: (ids) => vocabulary.decode(ids),
  };
  const t0 = Date.now();
  const trained = await trainCaptioner({
    modelConfig: modelConfigSchema.parse({
      decoder: { attention: process.env.ATTENTION !== '0', positionEncoding: 'coordinates', dropout: 0.2 },
    }),
    trainingConfig: trainingConfigSchema.parse({
      epochs: EPOCHS,
      batchSize: 32,
      learningRate: Number(process.env.LR ?? 0.01),
      seed: Number(process.env.SEED ?? 42),
      earlyStoppingPatience: 0,
      attentionRegularization: Number(process.env.ATTN_REG ?? 1),
      validation: { beamSize: 3, maxImages: 150 },
    }),
    data,
    checkpointsDir: path.join(os.tmpdir(), `cell-head-ckpt-${kind}-${Date.now()}`),
    scoreCaptions: (input, options) => {
      const result = scoreCaptions(input, options);
      const g = groundCaptions(input.cands, scenes);
      console.log(
        `${kind}: CIDEr-D ${result.corpus.CIDEr.toFixed(3)} BLEU-4 ${result.corpus.Bleu_4.toFixed(3)} objects ${(100 * g.objectsRightRate!).toFixed(1)}% absent ${(100 * g.objectsAbsentRate!).toFixed(1)}% relations ${g.relationsRight}/${g.relationsStated} all-right ${(100 * g.imagesAllObjectsRightRate!).toFixed(1)}% (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
      return { corpus: { ...result.corpus } };
    },
  });
  if (process.env.RELATIONS) await relationWordCheck(trained.best!.dir, testFeatures);
}

/**
 * Teacher-forced: the decoder's distribution over the relation word (left/right/above/below) after each
 * test reference's words up to it, against which relations hold between the reference's subject and some
 * other shape of the scene. A decoder that knows where the subject is puts its mass on those.
 */
async function relationWordCheck(
  checkpointDir: string,
  features: { pooled: Float32Array; grid: Float32Array },
) {
  const model = await loadCaptionModel(checkpointDir);
  const { math } = model;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = math.spec.featureShape;
  const relations = ['left', 'right', 'above', 'below'] as const;
  const holds = (
    a: Scene['objects'][number],
    rel: (typeof relations)[number],
    b: Scene['objects'][number],
  ) =>
    rel === 'left'
      ? a.col < b.col
      : rel === 'right'
        ? a.col > b.col
        : rel === 'above'
          ? a.row < b.row
          : a.row > b.row;
  let [cases, onValid, onReference] = [0, 0, 0];
  for (let i = 0; i < test.items.length; i++) {
    const scene = test.items[i].scene!;
    for (const caption of test.items[i].captions) {
      const words = caption.split(' ');
      const r = words.findIndex((w) => (relations as readonly string[]).includes(w));
      const subjects = scene.objects.filter((o) => o.kind === words[r - 1] && o.color === words[r - 2]);
      if (r < 0 || subjects.length !== 1) continue;
      const subject = subjects[0];
      const logProbs = tf.tidy(() => {
        let state = math.initialState(
          tf.tensor2d(features.pooled.subarray(i * P, (i + 1) * P), [1, P]),
          math.spec.decoder.attention
            ? tf.tensor2d(features.grid.subarray(i * G * C, (i + 1) * G * C), [1, G * C])
            : undefined,
        );
        for (const id of [START_ID, ...words.slice(0, r).map((w) => vocabulary.idOf(w))])
          state = math.step(state, math.projectInputs(math.embed(tf.tensor1d([id], 'int32')))).state;
        return tf.logSoftmax(math.logits(state.h));
      });
      const all = (await logProbs.data()) as Float32Array;
      logProbs.dispose();
      const p = relations.map((w) => Math.exp(all[vocabulary.idOf(w)]));
      const total = p.reduce((a, b) => a + b, 0);
      cases++;
      onValid += relations.reduce(
        (sum, rel, k) =>
          sum + (scene.objects.some((o) => o !== subject && holds(subject, rel, o)) ? p[k] / total : 0),
        0,
      );
      onReference += p[relations.indexOf(words[r] as (typeof relations)[number])] / total;
    }
  }
  model.dispose();
  console.log(
    `relation word, teacher-forced (${cases} test references): ${((100 * onValid) / cases).toFixed(1)}% of its probability on relations that hold for the subject, ${((100 * onReference) / cases).toFixed(1)}% on the reference's (chance 25%)`,
  );
}
