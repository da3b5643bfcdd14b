import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  CancelledError,
  ConfigError,
  InvalidInputError,
  TrainingDivergedError,
  createLogger,
} from '@captioner/core';
import {
  CaptionModel,
  DecoderMath,
  createDecoderParams,
  currentBackend,
  decoderFromArrays,
  decoderToArrays,
  deriveSeed,
  readCheckpointDir,
  timeMajorTokens,
  writeCheckpointDir,
} from '@captioner/model';
import type { DecoderParams, DecoderSpec, FeatureNorm } from '@captioner/model';
import { Adam } from './adam';
import { trainStep } from './train-step';
import { stepsPerEpoch } from './batches';
import { variablesToArrays } from './fine-tune';
import { featureSourceFor } from './feature-source';
import { isStreamed } from './source';
import type { BatchReader, FeatureSource } from './source';
import {
  checkpointDirName,
  listCheckpoints,
  pruneCheckpoints,
  removePartialCheckpoints,
} from './checkpoint-store';
import { learningRateAt, samplingProbabilityAt } from './config';
import type { TrainingConfig } from './config';
import { initialLoopState, parseSavedLoopState } from './loop-state';
import type { LoopState } from './loop-state';
import type { CheckpointInfo, TrainCaptionerOptions, TrainCaptionerResult } from './types';
import { validationScore } from './validation';
import { probeBatchSize } from './batch-probe';
import { memoryBudgetMB } from './memory-budget';
import type { AutoBatchChoice } from './types';

const log = createLogger('training');
const MB = 1024 * 1024;

function checkLabels(options: TrainCaptionerOptions): void {
  const { data } = options;
  const { train, val } = data;
  // A streamed index checked its token ids when it was built, and has a caption list per image.
  if (isStreamed(train) || isStreamed(val)) {
    if (isStreamed(train) && train.index.captionImage.length === 0)
      throw new InvalidInputError('no training captions');
    return;
  }
  const M = train.captionImage.length;
  if (M === 0) throw new InvalidInputError('no training captions');
  if (train.captions.length !== M * train.captionLength)
    throw new InvalidInputError(
      `train.captions has ${train.captions.length} values, expected ${M}x${train.captionLength}`,
    );
  for (let i = 0; i < M; i++) {
    const image = train.captionImage[i];
    if (image < 0 || image >= train.images)
      throw new InvalidInputError(`train.captionImage[${i}] = ${image} is not an image row`);
  }
  for (let i = 0; i < train.captions.length; i++) {
    if (train.captions[i] < 0 || train.captions[i] >= data.vocabSize)
      throw new InvalidInputError(
        `train.captions holds token id ${train.captions[i]} outside the vocabulary (${data.vocabSize})`,
      );
  }
  if (val.references.length !== val.images)
    throw new InvalidInputError(
      `val.references has ${val.references.length} entries for ${val.images} images`,
    );
}

function sameShape(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Everything one call of `trainCaptioner` works on, from init-or-resume to the last epoch. */
interface Session {
  options: TrainCaptionerOptions;
  config: TrainingConfig;
  /** The last epoch's validation score (for `shouldPrune`). */
  lastValScore?: number;
  source: FeatureSource;
  params: DecoderParams;
  norm: FeatureNorm;
  adam: Adam;
  math: DecoderMath;
  /** Decodes validation captions with the weights being trained (shares `params` and `norm`). */
  liveModel: CaptionModel;
  /** Saved with every checkpoint; mutated as training advances. */
  loop: LoopState;
  /** The newest checkpoint written or resumed from. */
  last: CheckpointInfo | null;
  /** Captions per step (resolved when the config says `auto`). */
  batchSize: number;
  perEpoch: number;
  totalSteps: number;
  /** Since this call started (not since the run started): tokens per second and ETA. */
  throughput: { started: number; tokens: number; steps: number; lossSum: number; lossCount: number };
}

/** What init-or-resume decides: the weights, the optimizer and the loop state to continue from. */
interface Start {
  params: DecoderParams;
  norm: FeatureNorm;
  adam: Adam;
  loop: LoopState;
  last: CheckpointInfo | null;
}

/**
 * Trains the caption decoder (and, with `fineTune`, the encoder's last blocks) with teacher forcing, masked
 * cross-entropy and Adam, selecting the best checkpoint on a metric of decoded validation captions.
 * Deterministic for a seed on a given backend, and a run resumed from any checkpoint reaches the same
 * weights as an uninterrupted one.
 */
export async function trainCaptioner(options: TrainCaptionerOptions): Promise<TrainCaptionerResult> {
  checkLabels(options);
  const source = featureSourceFor(options);
  await removePartialCheckpoints(options.checkpointsDir);
  const session = await initOrResume(options, source);
  // A run that had already stopped early stays stopped when resumed with the same patience.
  // A run that had been pruned stays pruned.
  let stoppedBy: TrainCaptionerResult['stoppedBy'] = patienceExhausted(session)
    ? 'early-stopping'
    : options.prunedAtEpoch !== undefined && session.loop.cursor.epoch >= options.prunedAtEpoch
      ? 'pruned'
      : 'epochs';
  try {
    while (stoppedBy === 'epochs' && session.loop.cursor.epoch < session.config.epochs) {
      const epoch = session.loop.cursor.epoch;
      await runEpoch(session, epoch);
      await endEpoch(session, epoch);
      if (patienceExhausted(session)) stoppedBy = 'early-stopping';
      // A sweep's median rule, asked after the epoch's checkpoint is saved: what was learnt is kept.
      else if (
        session.loop.cursor.epoch < session.config.epochs &&
        (await options.shouldPrune?.(session.loop.cursor.epoch, session.lastValScore ?? Number.NaN))
      )
        stoppedBy = 'pruned';
    }
    return resultOf(session, stoppedBy);
  } finally {
    session.adam.dispose();
    tf.dispose(Object.values(session.params));
    tf.dispose(Object.values(session.norm));
  }
}

/** Continues from the newest complete checkpoint when resuming and there is one; starts fresh otherwise. */
async function initOrResume(options: TrainCaptionerOptions, source: FeatureSource): Promise<Session> {
  const { modelConfig, trainingConfig: config, data } = options;
  const spec: DecoderSpec = {
    decoder: modelConfig.decoder,
    featureShape: data.featureShape,
    vocabSize: data.vocabSize,
  };
  const existing = options.resume ? await listCheckpoints(options.checkpointsDir) : [];
  const start =
    existing.length > 0
      ? await resumeFrom(existing[existing.length - 1].dir, spec, options, source)
      : await freshStart(spec, options, source);
  const math = new DecoderMath(spec, start.params, start.norm);
  let batchSize: number;
  try {
    batchSize = await resolveBatchSize(options, start, math, source);
  } catch (error) {
    start.adam.dispose();
    tf.dispose([...Object.values(start.params), ...Object.values(start.norm)]);
    throw error;
  }
  start.loop.batchSize = batchSize;
  const perEpoch = stepsPerEpoch(source.trainCaptions, batchSize);
  return {
    options,
    config,
    source,
    ...start,
    batchSize,
    math,
    liveModel: new CaptionModel(
      modelConfig,
      data.featureShape,
      data.vocabSize,
      start.params,
      start.norm,
      false,
    ),
    perEpoch,
    totalSteps: config.epochs * perEpoch,
    throughput: { started: Date.now(), tokens: 0, steps: 0, lossSum: 0, lossCount: 0 },
  };
}

async function resumeFrom(
  dir: string,
  spec: DecoderSpec,
  options: TrainCaptionerOptions,
  source: FeatureSource,
): Promise<Start> {
  const { meta, tensors } = await readCheckpointDir(dir);
  if (
    !sameShape(meta.modelConfig.decoder, spec.decoder) ||
    !sameShape(meta.featureShape, spec.featureShape) ||
    meta.vocabSize !== spec.vocabSize
  ) {
    throw new ConfigError(
      `cannot resume from ${dir}: its model config, feature shape or vocabulary size differs from this run's`,
    );
  }
  // Checked before any tensor is made, so a bad state leaks nothing.
  const saved = parseSavedLoopState(meta.training, dir);
  const loop: LoopState = {
    cursor: saved.cursor,
    rng: saved.rng,
    best: saved.best,
    epochsWithoutImprovement: saved.epochsWithoutImprovement,
    batchSize: saved.batchSize,
    ...(saved.stream ? { stream: saved.stream } : {}),
  };
  if (!sameShape(saved.stream, source.streamLayout))
    throw new ConfigError(
      `cannot resume from ${dir}: its data stream (${JSON.stringify(saved.stream ?? 'in memory')}) differs from this run's (${JSON.stringify(source.streamLayout ?? 'in memory')}); keep training.input.shuffleBuffer and the shards as they were`,
    );
  const { params, norm } = decoderFromArrays(spec, tensors, dir);
  source.restore(tensors);
  const adam = new Adam({ ...params, ...source.variables });
  adam.restore(tensors, meta.step, dir);
  const last: CheckpointInfo = {
    step: meta.step,
    epoch: meta.epoch,
    dir,
    kind: saved.kind,
    isBest: loop.best?.dir === dir,
  };
  return { params, norm, adam, loop, last };
}

async function freshStart(
  spec: DecoderSpec,
  options: TrainCaptionerOptions,
  source: FeatureSource,
): Promise<Start> {
  const { trainingConfig: config, modelConfig } = options;
  const params = createDecoderParams(spec, deriveSeed(config.seed, 0x1417));
  const norm = await source.featureNorm(spec.featureShape, modelConfig.decoder.attention);
  const adam = new Adam({ ...params, ...source.variables });
  return { params, norm, adam, loop: initialLoopState(config.seed, source.streamLayout), last: null };
}

/**
 * The batch size of this call: the configured number; with `auto`, the one a checkpoint of this run
 * trained with, else the one an earlier attempt recorded (`autoBatch`), else a probe's (reported
 * through `onAutoBatch`).
 */
async function resolveBatchSize(
  options: TrainCaptionerOptions,
  start: Start,
  math: DecoderMath,
  source: FeatureSource,
): Promise<number> {
  const config = options.trainingConfig;
  if (config.batchSize !== 'auto') return config.batchSize;
  const known = start.loop.batchSize ?? config.autoBatch?.batchSize;
  if (known !== undefined) return known;
  const backend = currentBackend();
  const budgetMB = await memoryBudgetMB(backend, config.memoryBudgetMB);
  const sampling = config.scheduledSampling;
  const probe = await probeBatchSize({
    math,
    trained: { ...start.params, ...source.variables },
    source,
    data: options.data,
    budgetBytes: budgetMB * MB,
    attentionRegularization: config.attentionRegularization,
    samplingProbability: sampling.enabled ? sampling.max : 0,
  });
  const choice: AutoBatchChoice = {
    batchSize: probe.batchSize,
    peakMB: Math.round((probe.peakBytes / MB) * 10) / 10,
    budgetMB,
    backend,
  };
  log.info({ ...choice, trials: probe.trials }, 'batch size auto');
  await options.onAutoBatch?.(choice);
  return probe.batchSize;
}

/** Trains the remaining batches of `epoch`, checkpointing every `checkpointEverySteps` and on abort. */
async function runEpoch(s: Session, epoch: number): Promise<void> {
  const { config, source, loop } = s;
  // The data side (in memory or streamed from shards) gives the batches from the cursor on.
  const batches = source.epochBatches(epoch, loop.cursor.batch, s.batchSize, config.seed);
  try {
    await trainBatches(s, epoch, batches);
  } finally {
    await batches.close();
  }
}

async function trainBatches(s: Session, epoch: number, batches: BatchReader): Promise<void> {
  const { options, config, source, loop, adam } = s;
  const learningRate = learningRateAt(config, epoch);
  const encoderLearningRate = (learningRate * config.encoderLearningRate) / config.learningRate;
  const learningRateOf = (name: string) => (name.startsWith('encoder/') ? encoderLearningRate : undefined);
  const samplingProbability = samplingProbabilityAt(config, epoch);
  const trained = { ...s.params, ...source.variables };
  while (loop.cursor.batch < s.perEpoch) {
    const { batch, features } = await batches.next();
    const tokens = timeMajorTokens(batch).tokens;
    const stepSeed = deriveSeed(config.seed, 0x57e9, adam.step);
    const loss = trainStep(
      s.math,
      adam,
      batch,
      {
        seed: stepSeed,
        learningRate,
        gradClipNorm: config.gradClipNorm,
        samplingProbability,
        attentionRegularization: config.attentionRegularization,
        attentionSupervision: config.attentionSupervision,
        learningRateOf,
      },
      trained,
      features,
    );
    const lossValue = (await loss.data())[0];
    loss.dispose();
    if (!Number.isFinite(lossValue)) {
      throw new TrainingDivergedError(
        `training diverged at step ${adam.step}: loss ${lossValue} (lower training.learningRate or training.gradClipNorm)`,
      );
    }
    loop.cursor.batch += 1;
    const step = adam.step;
    await reportStep(s, epoch, step, tokens, lossValue, learningRate);
    if (options.signal?.aborted) {
      await saveCheckpoint(s, 'step');
      throw new CancelledError(`training cancelled at step ${step}; checkpoint ${s.last!.dir}`);
    }
    if (step % config.checkpointEverySteps === 0 && loop.cursor.batch < s.perEpoch)
      await saveCheckpoint(s, 'step');
    // tfjs on wasm/cpu is synchronous: give timers (queue lock renewal, progress output) a turn every step.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Progress after every step; loss, throughput, learning rate and ETA metrics every `logEverySteps`. */
async function reportStep(
  s: Session,
  epoch: number,
  step: number,
  tokens: number,
  lossValue: number,
  learningRate: number,
): Promise<void> {
  const { options, config, throughput: t } = s;
  t.tokens += tokens;
  t.steps += 1;
  t.lossSum += lossValue;
  t.lossCount += 1;
  const seconds = (Date.now() - t.started) / 1000;
  const tokensPerSecond = t.tokens / Math.max(seconds, 1e-3);
  const etaSeconds = ((s.totalSteps - step) * seconds) / t.steps;
  options.onProgress?.({
    fraction: Math.min(step / s.totalSteps, 1),
    message: `epoch ${epoch + 1}/${config.epochs} step ${step}/${s.totalSteps} loss ${lossValue.toFixed(3)}`,
    figures: { step, epoch, loss: lossValue, tokensPerSecond, etaSeconds },
  });
  if (step % config.logEverySteps === 0) {
    await options.onMetric?.({ name: 'train/loss', step, epoch, value: t.lossSum / t.lossCount });
    await options.onMetric?.({ name: 'train/tokens_per_second', step, epoch, value: tokensPerSecond });
    await options.onMetric?.({ name: 'train/learning_rate', step, epoch, value: learningRate });
    await options.onMetric?.({ name: 'train/eta_seconds', step, epoch, value: etaSeconds });
    t.lossSum = 0;
    t.lossCount = 0;
  }
}

/** Epoch end: validate on decoded captions, count patience, checkpoint; stops here when aborted. */
async function endEpoch(s: Session, epoch: number): Promise<void> {
  const { options, config, loop } = s;
  const metricName = config.validation.metric;
  const val = await s.source.validationSplit(config.validation.maxImages);
  const { score, samples } = await validationScore(
    s.liveModel,
    val,
    config.validation,
    options.data.decodeTokens,
    options.scoreCaptions,
  );
  s.lastValScore = score;
  const isBest = loop.best === null || score > loop.best.score;
  loop.epochsWithoutImprovement = isBest ? 0 : loop.epochsWithoutImprovement + 1;
  loop.cursor = { epoch: epoch + 1, batch: 0 };
  await options.onMetric?.({ name: `val/${metricName}`, step: s.adam.step, epoch: epoch + 1, value: score });
  options.onProgress?.({
    fraction: Math.min(s.adam.step / s.totalSteps, 1),
    message: `epoch ${epoch + 1} val ${metricName} ${score.toFixed(3)}${isBest ? ' (best)' : ''}: "${samples[0] ?? ''}"`,
    figures: { step: s.adam.step, epoch: epoch + 1, [`val_${metricName}`]: score },
  });
  await saveCheckpoint(s, 'epoch', score, isBest);
  if (options.signal?.aborted)
    throw new CancelledError(`training cancelled after epoch ${epoch + 1}; checkpoint ${s.last!.dir}`);
}

function patienceExhausted(s: Session): boolean {
  const patience = s.config.earlyStoppingPatience;
  return patience > 0 && s.loop.epochsWithoutImprovement >= patience;
}

/** Writes a checkpoint of the decoder, the source's encoder variables, the optimizer and the loop state. */
async function saveCheckpoint(
  s: Session,
  kind: CheckpointInfo['kind'],
  valScore?: number,
  isBest = false,
): Promise<CheckpointInfo> {
  const { options, config, loop, adam } = s;
  const { modelConfig, data, checkpointsDir } = options;
  const metricName = config.validation.metric;
  const step = adam.step;
  const dir = path.join(checkpointsDir, checkpointDirName(step));
  if (isBest) loop.best = { step, epoch: loop.cursor.epoch, dir, score: valScore!, metric: metricName };
  await writeCheckpointDir(
    dir,
    {
      modelConfig,
      featureShape: data.featureShape,
      vocabSize: data.vocabSize,
      step,
      epoch: loop.cursor.epoch,
      training: { ...loop, kind, valScore } as Record<string, unknown>,
    },
    { ...decoderToArrays(s.params, s.norm), ...variablesToArrays(s.source.variables), ...adam.toArrays() },
  );
  const info: CheckpointInfo = {
    step,
    epoch: loop.cursor.epoch,
    dir,
    kind,
    isBest,
    ...(valScore !== undefined ? { valScore, metric: metricName } : {}),
  };
  await options.onCheckpoint?.(info);
  await pruneCheckpoints(
    checkpointsDir,
    config.keepLastCheckpoints,
    loop.best?.dir,
    options.onCheckpointPruned,
  );
  s.last = info;
  return info;
}

function resultOf(s: Session, stoppedBy: TrainCaptionerResult['stoppedBy']): TrainCaptionerResult {
  if (!s.last)
    throw new ConfigError('training ran no step: training.epochs is 0 and there is no checkpoint to resume');
  const best = s.loop.best;
  return {
    steps: s.adam.step,
    epochs: s.loop.cursor.epoch,
    best: best
      ? {
          step: best.step,
          epoch: best.epoch,
          dir: best.dir,
          kind: 'epoch',
          valScore: best.score,
          metric: best.metric,
          isBest: true,
        }
      : null,
    last: s.last,
    stoppedBy,
    batchSize: s.batchSize,
  };
}
