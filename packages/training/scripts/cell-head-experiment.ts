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
 * cell-probs-attend (no pooled vector: only attention tells the shapes), cell-probs-rel (each cell also
 * counts the shapes to its left, right, above and below). Also EPOCHS, LR, SEED, IMAGES, ATTN_REG
 * (attention regularisation), ATTN_SUP (attention supervision), CONTEXT_TO_OUTPUT=1 and SHIFT=1 (the
 * decoder options), ATTENTION=0 (no attention), NO_POOLED=1, CACHE (a directory that keeps the
 * pretrained encoder between runs) and RELATIONS=1 (then the teacher-forced relation-word check; with
 * CHECKPOINT=dir only that check, of a saved checkpoint, on the test split or CHECK_SPLIT=train; DEBUG=1
 * prints its first cases).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  SCENE_GRID,
  buildVocabulary,
  encodeAttentionCells,
  groundCaptions,
  synthesizeShapes,
} from '@captioner/dataset';
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
await initBackend((process.env.BACKEND ?? 'wasm') as 'wasm');
const { manifest } = await synthesizeShapes({
  outDir: path.join(os.tmpdir(), 'shapes-cell-head', `data-${process.env.IMAGES ?? 1500}`),
  images: Number(process.env.IMAGES ?? 1500),
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
  const made = await featuresOf(kind, images, n);
  // NO_POOLED=1: zero pooled features, so that the decoder's initial state knows nothing of the image.
  return process.env.NO_POOLED ? { ...made, pooled: new Float32Array(made.pooled.length) } : made;
}

async function featuresOf(kind: string, images: Float32Array, n: number) {
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
  // cell-probs-rel: each cell also says how many shapes lie to its left, right, above and below (occupancy
  // is 1 - p(no shape)), so that a relation is a linear read of the attended cell.
  if (kind === 'cell-probs-rel') {
    const K = cells.shape.gridChannels;
    const out = new Float32Array(n * SCENE_CELLS * (K + 4));
    for (let i = 0; i < n; i++) {
      const occupancy = Array.from(
        { length: SCENE_CELLS },
        (_, j) => 1 - cells.grid[(i * SCENE_CELLS + j) * K],
      );
      for (let cell = 0; cell < SCENE_CELLS; cell++) {
        const [r, c] = [Math.floor(cell / 3), cell % 3];
        const around = [0, 0, 0, 0];
        occupancy.forEach((occ, j) => {
          const [rj, cj] = [Math.floor(j / 3), j % 3];
          if (cj < c) around[0] += occ;
          if (cj > c) around[1] += occ;
          if (rj < r) around[2] += occ;
          if (rj > r) around[3] += occ;
        });
        const at = (i * SCENE_CELLS + cell) * (K + 4);
        out.set(cells.grid.subarray((i * SCENE_CELLS + cell) * K, (i * SCENE_CELLS + cell + 1) * K), at);
        out.set(around, at + K);
      }
    }
    return { ...cells, grid: out, shape: { ...cells.shape, gridChannels: K + 4 } };
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
const ATTENTION_SUPERVISION = Number(process.env.ATTN_SUP ?? 0);
const attentionCells = {
  cells: encodeAttentionCells(
    trainCaptions,
    captionImage.map((i) => train.items[i].scene!),
    encoded.length,
  ),
  grid: SCENE_GRID,
};
const scenes = new Map<string, Scene>(test.items.map((item) => [item.id, item.scene!]));

for (const kind of (process.env.FEATURES ?? 'raw,cells').split(',')) {
  const trainFeatures = await features(kind, train.images, train.items.length);
  const testFeatures = await features(kind, test.images, test.items.length);
  if (process.env.CHECKPOINT) {
    if (process.env.CHECK_SPLIT === 'train')
      await relationWordCheck(process.env.CHECKPOINT, trainFeatures, train);
    else await relationWordCheck(process.env.CHECKPOINT, testFeatures);
    continue;
  }
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
      attentionCells: ATTENTION_SUPERVISION > 0 ? attentionCells : undefined,
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
      decoder: {
        attention: process.env.ATTENTION !== '0',
        positionEncoding: 'coordinates',
        dropout: 0.2,
        contextToOutput: process.env.CONTEXT_TO_OUTPUT === '1',
        attentionShift: process.env.SHIFT === '1',
      },
    }),
    trainingConfig: trainingConfigSchema.parse({
      epochs: EPOCHS,
      batchSize: 32,
      learningRate: Number(process.env.LR ?? 0.01),
      seed: Number(process.env.SEED ?? 42),
      earlyStoppingPatience: 0,
      attentionRegularization: Number(process.env.ATTN_REG ?? 1),
      attentionSupervision: ATTENTION_SUPERVISION,
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
  split = test,
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
  let [cases, onValid, onReference, onSubject, onOthers] = [0, 0, 0, 0, 0];
  const byObjects: Record<number, { cases: number; onReference: number }> = {};
  for (let i = 0; i < split.items.length; i++) {
    const scene = split.items[i].scene!;
    for (const caption of split.items[i].captions) {
      const words = caption.split(' ');
      const r = words.findIndex((w) => (relations as readonly string[]).includes(w));
      const subjects = scene.objects.filter((o) => o.kind === words[r - 1] && o.color === words[r - 2]);
      if (r < 0 || subjects.length !== 1) continue;
      const subject = subjects[0];
      const objects = scene.objects.filter((o) => o !== subject);
      const alphaAtRelation: number[] = [];
      const logProbs = tf.tidy(() => {
        let state = math.initialState(
          tf.tensor2d(features.pooled.subarray(i * P, (i + 1) * P), [1, P]),
          math.spec.decoder.attention
            ? tf.tensor2d(features.grid.subarray(i * G * C, (i + 1) * G * C), [1, G * C])
            : undefined,
        );
        let output: tf.Tensor2D | undefined;
        for (const id of [START_ID, ...words.slice(0, r).map((w) => vocabulary.idOf(w))]) {
          const out = math.step(state, math.projectInputs(math.embed(tf.tensor1d([id], 'int32'))));
          state = out.state;
          output = out.output;
          if (out.alpha) alphaAtRelation.splice(0, Infinity, ...(out.alpha.dataSync() as Float32Array));
        }
        return tf.logSoftmax(math.logits(output!));
      });
      const all = (await logProbs.data()) as Float32Array;
      logProbs.dispose();
      const p = relations.map((w) => Math.exp(all[vocabulary.idOf(w)]));
      const total = p.reduce((a, b) => a + b, 0);
      if (process.env.DEBUG && cases < 12)
        console.log(
          JSON.stringify({
            caption,
            subject: [subject.row, subject.col],
            others: objects.map((o) => [o.row, o.col]),
            alpha: alphaAtRelation.map((a) => Math.round(a * 100)),
            p: p.map((x) => Math.round((100 * x) / total)),
            top: [...all]
              .map((v, k) => [v, k])
              .sort((a, b) => b[0] - a[0])
              .slice(0, 3)
              .map(([v, k]) => `${vocabulary.wordOf(k)}:${Math.exp(v).toFixed(2)}`),
          }),
        );
      cases++;
      if (alphaAtRelation.length === SCENE_CELLS) {
        onSubject += alphaAtRelation[subject.row * 3 + subject.col];
        onOthers += objects.reduce((sum, o) => sum + alphaAtRelation[o.row * 3 + o.col], 0);
      }
      onValid += relations.reduce(
        (sum, rel, k) =>
          sum + (scene.objects.some((o) => o !== subject && holds(subject, rel, o)) ? p[k] / total : 0),
        0,
      );
      const referenceShare = p[relations.indexOf(words[r] as (typeof relations)[number])] / total;
      onReference += referenceShare;
      const byCount = (byObjects[scene.objects.length] ??= { cases: 0, onReference: 0 });
      byCount.cases++;
      byCount.onReference += referenceShare;
    }
  }
  model.dispose();
  for (const [n, c] of Object.entries(byObjects))
    console.log(
      `scenes of ${n} shapes: ${c.cases} references, ${((100 * c.onReference) / c.cases).toFixed(1)}% on the reference's relation`,
    );
  console.log(
    `relation word, teacher-forced (${cases} test references): ${((100 * onValid) / cases).toFixed(1)}% of its probability on relations that hold for the subject, ${((100 * onReference) / cases).toFixed(1)}% on the reference's (chance 25%); attention at the relation word: ${((100 * onSubject) / cases).toFixed(1)}% on the subject's cell, ${((100 * onOthers) / cases).toFixed(1)}% on the other shapes' cells`,
  );
}
