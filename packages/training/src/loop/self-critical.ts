import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CancelledError, ConfigError, TrainingDivergedError } from '@captioner/core';
import {
  CaptionModel,
  DecoderMath,
  END_ID,
  PAD_ID,
  START_ID,
  SeededRandom,
  applyEncoderWeights,
  decoderFromArrays,
  decoderToArrays,
  deriveSeed,
  encodeImages,
  encoderTrainableVariables,
  readCheckpointDir,
  sampleCaptions,
  writeCheckpointDir,
} from '@captioner/model';
import type { CaptionBatch, DecoderParams, DecoderSpec, FeatureNorm, NamedArrays } from '@captioner/model';
import type { Scene } from '@captioner/dataset';
import type { SelfCriticalConfig } from '@captioner/stage-contract';
import { Adam } from './adam';
import { trainStep } from './train-step';
import { epochOrder } from './batches';
import { fineTunedValSplit, variablesToArrays } from './fine-tune';
import {
  checkpointDirName,
  listCheckpoints,
  pruneCheckpoints,
  removePartialCheckpoints,
} from './checkpoint-store';
import { parseSavedLoopState } from './loop-state';
import { selfCriticalReward } from './scst-reward';
import type { CaptionReward } from './scst-reward';
import type { LoopState } from './loop-state';
import type {
  CheckpointInfo,
  FineTuneInput,
  InMemoryTrainingData,
  TrainCaptionerOptions,
  TrainCaptionerResult,
  TrainSplit,
} from './types';
import { validationScore } from './validation';

/** Where the self-critical phase keeps its checkpoints: apart, so the cross-entropy phase never resumes from one. */
export const SELF_CRITICAL_DIR = 'self-critical';

export interface SelfCriticalOptions extends TrainCaptionerOptions {
  /** Held in memory: the phase samples from every training image's features at random. */
  data: InMemoryTrainingData;
  /** Fine-tuning: the images too are held in memory. */
  fineTune?: FineTuneInput;
  /** What the cross-entropy phase ended with: its best checkpoint is where this phase starts. */
  crossEntropy: TrainCaptionerResult;
  /** Each training image's scene, by row (shapes data sets): what `reward: 'CIDEr+grounding'` checks against. */
  trainScenes?: ReadonlyArray<Scene | undefined>;
}

/** The training references of each image, as word lists (the reward's corpus). */
function trainReferences(train: TrainSplit, decodeTokens: (ids: number[]) => string): string[][][] {
  const refs: string[][][] = Array.from({ length: train.images }, () => []);
  const T = train.captionLength;
  for (let c = 0; c < train.captionImage.length; c++) {
    const words = decodeTokens(Array.from(train.captions.subarray(c * T, (c + 1) * T)));
    refs[train.captionImage[c]].push(words.split(' ').filter((w) => w.length > 0));
  }
  return refs;
}

/** The caption rows of each training image (what the mixed objective draws from). */
function captionsOfImage(train: TrainSplit): number[][] {
  const out: number[][] = Array.from({ length: train.images }, () => []);
  train.captionImage.forEach((image, c) => out[image].push(c));
  return out;
}

/** Everything the phase works on, from init-or-resume to its last epoch. */
interface Session {
  options: SelfCriticalOptions;
  config: SelfCriticalConfig;
  dir: string;
  params: DecoderParams;
  norm: FeatureNorm;
  /** The fine-tuned encoder's trainable variables (`encoder/*`); none with frozen features. */
  encoderVariables: Record<string, tf.Variable>;
  adam: Adam;
  math: DecoderMath;
  liveModel: CaptionModel;
  loop: LoopState;
  last: CheckpointInfo | null;
  reward: CaptionReward;
  /** Caption rows (of `data.train.captions`) of each training image. */
  captionsOfImage: number[][];
  /** Optimizer steps of the cross-entropy phase: this phase's step s is the run's step offset + s. */
  offset: number;
  perEpoch: number;
  imagesPerEpoch: number;
}

/**
 * Self-critical sequence training from the best cross-entropy checkpoint: per step, `samples` captions
 * per image drawn from the model, rewarded with CIDEr-D against the training references (document
 * frequencies of the training split; plus grounding against the scenes with `CIDEr+grounding`), minus a
 * baseline (the mean of the image's other samples, or the greedy caption's reward), weight the samples'
 * log-likelihood (REINFORCE); with `crossEntropyWeight`, one training caption per image adds a
 * teacher-forced term. With a fine-tuned encoder the gradient reaches its trainable blocks too. Validation, best-checkpoint
 * selection, early stopping, checkpoints and bit-identical resume work as in the cross-entropy phase;
 * the best checkpoint stays the cross-entropy one unless this phase beats its validation score.
 */
export async function trainSelfCritical(options: SelfCriticalOptions): Promise<TrainCaptionerResult> {
  const config = options.trainingConfig.selfCritical;
  if (!config) throw new ConfigError('training.selfCritical is not set');
  const start = options.crossEntropy.best;
  if (!start) throw new ConfigError('training.selfCritical: the cross-entropy phase has no best checkpoint');
  const dir = path.join(options.checkpointsDir, SELF_CRITICAL_DIR);
  await removePartialCheckpoints(dir);
  const s = await initOrResume(options, config, dir);
  const patience = options.trainingConfig.earlyStoppingPatience;
  const exhausted = () => patience > 0 && s.loop.epochsWithoutImprovement >= patience;
  let stoppedBy: TrainCaptionerResult['stoppedBy'] = exhausted() ? 'early-stopping' : 'epochs';
  try {
    while (stoppedBy === 'epochs' && s.loop.cursor.epoch < config.epochs) {
      const epoch = s.loop.cursor.epoch;
      await runEpoch(s, epoch);
      await endEpoch(s, epoch);
      if (exhausted()) stoppedBy = 'early-stopping';
    }
    const best = s.loop.best!;
    return {
      steps: s.offset + s.adam.step,
      epochs: options.crossEntropy.epochs + s.loop.cursor.epoch,
      best: {
        step: best.step,
        epoch: best.epoch,
        dir: best.dir,
        kind: 'epoch',
        valScore: best.score,
        metric: best.metric,
        isBest: true,
      },
      last: s.last ?? options.crossEntropy.last,
      stoppedBy,
      // Captions per step: `samples` sampled captions of each of the step's images.
      batchSize: config.batchSize * config.samples,
    };
  } finally {
    s.adam.dispose();
    tf.dispose(Object.values(s.params));
    tf.dispose(Object.values(s.norm));
  }
}

async function initOrResume(
  options: SelfCriticalOptions,
  config: SelfCriticalConfig,
  dir: string,
): Promise<Session> {
  const { modelConfig, data, crossEntropy, trainingConfig } = options;
  const spec: DecoderSpec = {
    decoder: modelConfig.decoder,
    featureShape: data.featureShape,
    vocabSize: data.vocabSize,
  };
  const offset = crossEntropy.steps;
  const encoderVariables = options.fineTune ? encoderTrainableVariables(options.fineTune.encoder) : {};
  // The encoder object holds what the cross-entropy phase (or a crash) left; the checkpoint says what it is.
  const restoreEncoder = (tensors: NamedArrays) => {
    if (options.fineTune) applyEncoderWeights(options.fineTune.encoder, tensors);
  };
  const existing = await listCheckpoints(dir);
  let params: DecoderParams;
  let norm: FeatureNorm;
  let adam: Adam;
  let loop: LoopState;
  let last: CheckpointInfo | null = null;
  if (existing.length > 0) {
    const newest = existing[existing.length - 1].dir;
    const { meta, tensors } = await readCheckpointDir(newest);
    const saved = parseSavedLoopState(meta.training, newest);
    loop = {
      cursor: saved.cursor,
      rng: saved.rng,
      best: saved.best,
      epochsWithoutImprovement: saved.epochsWithoutImprovement,
    };
    ({ params, norm } = decoderFromArrays(spec, tensors, newest));
    restoreEncoder(tensors);
    adam = new Adam({ ...params, ...encoderVariables });
    adam.restore(tensors, meta.step - offset, newest);
    last = {
      step: meta.step,
      epoch: meta.epoch,
      dir: newest,
      kind: saved.kind,
      isBest: loop.best?.dir === newest,
    };
  } else {
    // Weights from the best cross-entropy checkpoint; a fresh optimizer (its moments belong to another loss).
    const best = crossEntropy.best!;
    const { tensors } = await readCheckpointDir(best.dir);
    ({ params, norm } = decoderFromArrays(spec, tensors, best.dir));
    restoreEncoder(tensors);
    adam = new Adam({ ...params, ...encoderVariables });
    loop = {
      cursor: { epoch: 0, batch: 0 },
      rng: { kind: 'counter', seed: trainingConfig.seed },
      best: {
        step: best.step,
        epoch: best.epoch,
        dir: best.dir,
        score: best.valScore!,
        metric: best.metric!,
      },
      epochsWithoutImprovement: 0,
    };
  }
  const imagesPerEpoch =
    config.imagesPerEpoch > 0 ? Math.min(config.imagesPerEpoch, data.train.images) : data.train.images;
  return {
    options,
    config,
    dir,
    params,
    norm,
    encoderVariables,
    adam,
    math: new DecoderMath(spec, params, norm),
    liveModel: new CaptionModel(modelConfig, data.featureShape, data.vocabSize, params, norm, false),
    loop,
    last,
    captionsOfImage: captionsOfImage(data.train),
    reward: selfCriticalReward(config, trainReferences(data.train, data.decodeTokens), options.trainScenes),
    offset,
    perEpoch: Math.ceil(imagesPerEpoch / config.batchSize),
    imagesPerEpoch,
  };
}

/** Features of some training images, row-major. */
function imageFeatures(train: TrainSplit, rows: Int32Array, P: number, gridSize: number, withGrid: boolean) {
  const pooled = new Float32Array(rows.length * P);
  const grid = withGrid ? new Float32Array(rows.length * gridSize) : undefined;
  rows.forEach((image, b) => {
    pooled.set(train.pooled.subarray(image * P, (image + 1) * P), b * P);
    grid?.set(train.grid!.subarray(image * gridSize, (image + 1) * gridSize), b * gridSize);
  });
  return { pooled, grid, count: rows.length };
}

/** The pixels of some training images (fine-tuning), row-major. */
function imagePixels(fineTune: FineTuneInput, rows: Int32Array): Float32Array {
  const S = fineTune.encoder.config.imageSize;
  const pixels = S * S * 3;
  const out = new Float32Array(rows.length * pixels);
  rows.forEach((image, b) =>
    out.set(fineTune.trainImages.subarray(image * pixels, (image + 1) * pixels), b * pixels),
  );
  return out;
}

/**
 * The features of a step's images as the model sees them now: pre-extracted, or (fine-tuning) from the
 * encoder as it stands (no augmentation: the samples are scored on the images as they are).
 */
async function stepFeatures(s: Session, rows: Int32Array) {
  const { data, fineTune } = s.options;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const withGrid = s.options.modelConfig.decoder.attention;
  if (!fineTune) return imageFeatures(data.train, rows, P, G * C, withGrid);
  const encoded = await encodeImages(fineTune.encoder, imagePixels(fineTune, rows), rows.length);
  return { pooled: encoded.pooled, grid: withGrid ? encoded.grid : undefined, count: rows.length };
}

/**
 * Fine-tuning: the features of the step's images computed inside the gradient scope (so the encoder's last
 * blocks learn from the reward too), batch row r getting those of the step's image `rowImage[r]`.
 */
function rowFeatureTensors(
  fineTune: FineTuneInput,
  rows: Int32Array,
  rowImage: Int32Array,
  shape: { gridPositions: number; gridChannels: number },
) {
  const size = fineTune.encoder.config.imageSize;
  const pixels = imagePixels(fineTune, rows);
  return () => {
    const map = fineTune.encoder.apply(tf.tensor4d(pixels, [rows.length, size, size, 3]));
    const index = tf.tensor1d(rowImage, 'int32');
    return {
      pooled: tf.gather(tf.mean(map, [1, 2]) as tf.Tensor2D, index),
      grid: tf.gather(
        tf.reshape(map, [rows.length, shape.gridPositions * shape.gridChannels]) as tf.Tensor2D,
        index,
      ),
    };
  };
}

async function runEpoch(s: Session, epoch: number): Promise<void> {
  const { options, config, loop, adam } = s;
  const { data, trainingConfig } = options;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const maxLength = options.modelConfig.decoder.maxLength;
  const S = config.samples;
  const encoderLearningRate =
    (config.learningRate * trainingConfig.encoderLearningRate) / trainingConfig.learningRate;
  const order = epochOrder(deriveSeed(trainingConfig.seed, 0x5c57), epoch, data.train.images).subarray(
    0,
    s.imagesPerEpoch,
  );
  while (loop.cursor.batch < s.perEpoch) {
    const rows = order.subarray(
      loop.cursor.batch * config.batchSize,
      (loop.cursor.batch + 1) * config.batchSize,
    );
    const features = await stepFeatures(s, rows);
    const uniform = new SeededRandom(deriveSeed(trainingConfig.seed, 0x5ca1, adam.step)).next;
    const sampled = await sampleCaptions(s.math, features, S, maxLength, uniform);
    const words = (ids: number[]) =>
      data
        .decodeTokens(ids)
        .split(' ')
        .filter((w) => w.length > 0);
    const rewards = sampled.map((c, r) => s.reward.score(rows[Math.floor(r / S)], words(c.tokens)));
    const baselines = new Float64Array(rewards.length);
    if (config.baseline === 'greedy') {
      const greedy = await s.liveModel.decode(features, { beamSize: 1 });
      greedy.forEach((ids, b) => {
        const value = s.reward.score(rows[b], words(ids));
        for (let k = 0; k < S; k++) baselines[b * S + k] = value;
      });
    } else {
      for (let b = 0; b < rows.length; b++) {
        let sum = 0;
        for (let k = 0; k < S; k++) sum += rewards[b * S + k];
        for (let k = 0; k < S; k++) baselines[b * S + k] = (sum - rewards[b * S + k]) / (S - 1);
      }
    }
    // Rows: each image's S samples, weighted by their advantage; with crossEntropyWeight, then one
    // training caption per image, weighted by it (the mixed objective).
    const references =
      config.crossEntropyWeight > 0
        ? referenceCaptions(s, rows, deriveSeed(trainingConfig.seed, 0x5cce, adam.step), maxLength)
        : [];
    const rowImage = Int32Array.from({ length: sampled.length + references.length }, (_, r) =>
      r < sampled.length ? Math.floor(r / S) : r - sampled.length,
    );
    const batch = policyBatch([...sampled, ...references], rowImage, features, maxLength, P, G * C);
    batch.captionWeights = Float32Array.from(rowImage, (_, r) =>
      r < sampled.length ? rewards[r] - baselines[r] : config.crossEntropyWeight,
    );
    const loss = trainStep(
      s.math,
      adam,
      batch,
      {
        seed: deriveSeed(trainingConfig.seed, 0x5c5e, adam.step),
        learningRate: config.learningRate,
        gradClipNorm: trainingConfig.gradClipNorm,
        samplingProbability: 0,
        attentionRegularization: 0,
        training: false,
        // The encoder's rate keeps its cross-entropy ratio to the decoder's.
        learningRateOf: (name) => (name.startsWith('encoder/') ? encoderLearningRate : undefined),
      },
      { ...s.params, ...s.encoderVariables },
      options.fineTune && rowFeatureTensors(options.fineTune, rows, rowImage, data.featureShape),
    );
    const lossValue = (await loss.data())[0];
    loss.dispose();
    if (!Number.isFinite(lossValue))
      throw new TrainingDivergedError(
        `self-critical training diverged at step ${s.offset + adam.step}: loss ${lossValue} (lower training.selfCritical.learningRate)`,
      );
    loop.cursor.batch += 1;
    const step = s.offset + adam.step;
    const meanReward = rewards.reduce((a, b) => a + b, 0) / rewards.length;
    const meanBaseline = baselines.reduce((a, b) => a + b, 0) / baselines.length;
    const total = config.epochs * s.perEpoch;
    const done = epoch * s.perEpoch + loop.cursor.batch;
    options.onProgress?.({
      fraction: Math.min(done / total, 1),
      message: `self-critical epoch ${epoch + 1}/${config.epochs} step ${done}/${total} reward ${meanReward.toFixed(3)}`,
      figures: { step, epoch, reward: meanReward, baseline: meanBaseline },
    });
    if (adam.step % trainingConfig.logEverySteps === 0) {
      const at = { step, epoch: options.crossEntropy.epochs + epoch };
      await options.onMetric?.({ name: 'scst/reward', ...at, value: meanReward });
      await options.onMetric?.({ name: 'scst/baseline', ...at, value: meanBaseline });
    }
    if (options.signal?.aborted) {
      await saveCheckpoint(s, 'step');
      throw new CancelledError(`self-critical training cancelled at step ${step}; checkpoint ${s.last!.dir}`);
    }
    if (adam.step % trainingConfig.checkpointEverySteps === 0 && loop.cursor.batch < s.perEpoch)
      await saveCheckpoint(s, 'step');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * One training caption of each of the step's images, drawn with `seed`, as the tokens between `<start>`
 * and `<end>` (cut at `maxLength`): the cross-entropy rows of the mixed objective.
 */
function referenceCaptions(
  s: Session,
  rows: Int32Array,
  seed: number,
  maxLength: number,
): Array<{ tokens: number[]; finished: boolean }> {
  const { captions, captionLength: T } = s.options.data.train;
  const random = new SeededRandom(seed);
  return Array.from(rows, (image) => {
    const choices = s.captionsOfImage[image];
    const c = choices[Math.floor(random.next() * choices.length)];
    const tokens: number[] = [];
    let t = c * T + 1;
    for (; t < (c + 1) * T && captions[t] !== END_ID && captions[t] !== PAD_ID; t++) tokens.push(captions[t]);
    const ended = t < (c + 1) * T && captions[t] === END_ID;
    return { tokens: tokens.slice(0, maxLength), finished: ended && tokens.length <= maxLength };
  });
}

/**
 * Captions as a teacher-forcing batch (`<start>` words `<end>` when finished, padded), row r with the
 * features of the step's image `rowImage[r]`.
 */
function policyBatch(
  sampled: ReadonlyArray<{ tokens: number[]; finished: boolean }>,
  rowImage: Int32Array,
  features: { pooled: Float32Array; grid?: Float32Array },
  maxLength: number,
  P: number,
  gridSize: number,
): CaptionBatch {
  const B = sampled.length;
  const T = maxLength + 2;
  const captions = new Int32Array(B * T).fill(PAD_ID);
  const pooled = new Float32Array(B * P);
  const grid = features.grid ? new Float32Array(B * gridSize) : undefined;
  sampled.forEach((c, r) => {
    captions[r * T] = START_ID;
    captions.set(c.tokens, r * T + 1);
    if (c.finished) captions[r * T + 1 + c.tokens.length] = END_ID;
    const image = rowImage[r];
    pooled.set(features.pooled.subarray(image * P, (image + 1) * P), r * P);
    grid?.set(features.grid!.subarray(image * gridSize, (image + 1) * gridSize), r * gridSize);
  });
  return { captions, captionLength: T, pooled, grid, size: B };
}

async function endEpoch(s: Session, epoch: number): Promise<void> {
  const { options, loop } = s;
  const validation = options.trainingConfig.validation;
  // Fine-tuning: validation features from the encoder as it stands now.
  const val = options.fineTune
    ? await fineTunedValSplit(options.fineTune, options.data.val, validation.maxImages)
    : options.data.val;
  const { score, samples } = await validationScore(
    s.liveModel,
    val,
    validation,
    options.data.decodeTokens,
    options.scoreCaptions,
  );
  const isBest = loop.best === null || score > loop.best.score;
  loop.epochsWithoutImprovement = isBest ? 0 : loop.epochsWithoutImprovement + 1;
  loop.cursor = { epoch: epoch + 1, batch: 0 };
  const step = s.offset + s.adam.step;
  const runEpoch = options.crossEntropy.epochs + epoch + 1;
  await options.onMetric?.({ name: `val/${validation.metric}`, step, epoch: runEpoch, value: score });
  options.onProgress?.({
    fraction: Math.min((epoch + 1) / s.config.epochs, 1),
    message: `self-critical epoch ${epoch + 1} val ${validation.metric} ${score.toFixed(3)}${isBest ? ' (best)' : ''}: "${samples[0] ?? ''}"`,
    figures: { step, epoch: runEpoch, [`val_${validation.metric}`]: score },
  });
  await saveCheckpoint(s, 'epoch', score, isBest);
  if (options.signal?.aborted)
    throw new CancelledError(
      `self-critical training cancelled after epoch ${epoch + 1}; checkpoint ${s.last!.dir}`,
    );
}

async function saveCheckpoint(
  s: Session,
  kind: CheckpointInfo['kind'],
  valScore?: number,
  isBest = false,
): Promise<void> {
  const { options, loop, adam } = s;
  const metric = options.trainingConfig.validation.metric;
  const step = s.offset + adam.step;
  const epoch = options.crossEntropy.epochs + loop.cursor.epoch;
  const dir = path.join(s.dir, checkpointDirName(step));
  if (isBest) loop.best = { step, epoch, dir, score: valScore!, metric };
  await writeCheckpointDir(
    dir,
    {
      modelConfig: options.modelConfig,
      featureShape: options.data.featureShape,
      vocabSize: options.data.vocabSize,
      step,
      epoch,
      training: { ...loop, kind, valScore, phase: 'self-critical' } as Record<string, unknown>,
    },
    { ...decoderToArrays(s.params, s.norm), ...variablesToArrays(s.encoderVariables), ...adam.toArrays() },
  );
  const info: CheckpointInfo = {
    step,
    epoch,
    dir,
    kind,
    isBest,
    ...(valScore !== undefined ? { valScore, metric } : {}),
  };
  await options.onCheckpoint?.(info);
  await pruneCheckpoints(
    s.dir,
    options.trainingConfig.keepLastCheckpoints,
    loop.best?.dir,
    options.onCheckpointPruned,
  );
  s.last = info;
}
