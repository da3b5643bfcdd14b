import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CancelledError, ConfigError, InvalidInputError } from '@captioner/core';
import {
  CaptionModel,
  DecoderMath,
  applyEncoderWeights,
  encoderTrainableVariables,
  computeFeatureNorm,
  createDecoderParams,
  decoderFromArrays,
  decoderToArrays,
  deriveSeed,
  encodeImages,
  readCheckpointDir,
  timeMajorTokens,
  writeCheckpointDir,
} from '@captioner/model';
import type { DecoderParams, DecoderSpec, FeatureNorm } from '@captioner/model';
import { Adam } from './adam';
import { trainStep } from './train-step';
import { batchRows, epochOrder, gatherBatch, stepsPerEpoch } from './batches';
import { batchFeatures, fineTunedValSplit, variablesToArrays } from './fine-tune';
import {
  checkpointDirName,
  listCheckpoints,
  pruneCheckpoints,
  removePartialCheckpoints,
} from './checkpoint-store';
import { learningRateAt, samplingProbabilityAt } from './config';
import type { CheckpointInfo, TrainCaptionerOptions, TrainCaptionerResult } from './types';
import { validationScore } from './validation';

/** Loop state saved in every checkpoint (`meta.training`). */
interface LoopState {
  /** Next batch to train: epoch (0-based) and batch index within it. */
  cursor: { epoch: number; batch: number };
  /** Randomness is counter-based: every draw derives from (seed, step), so the seed is the whole RNG state. */
  rng: { kind: 'counter'; seed: number };
  best: { step: number; epoch: number; dir: string; score: number; metric: string } | null;
  epochsWithoutImprovement: number;
}

function checkData(options: TrainCaptionerOptions): void {
  const { data, modelConfig, fineTune } = options;
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const { train, val } = data;
  checkLabels(options);
  if (modelConfig.encoder.trainable && !fineTune)
    throw new ConfigError('encoder.trainable needs options.fineTune (the encoder and the train/val images)');
  if (fineTune) {
    const S = fineTune.encoder.config.imageSize;
    if (fineTune.trainImages.length !== train.images * S * S * 3)
      throw new InvalidInputError(`fineTune.trainImages must hold ${train.images}x${S}x${S}x3 values`);
    if (fineTune.valImages.length !== val.images * S * S * 3)
      throw new InvalidInputError(`fineTune.valImages must hold ${val.images}x${S}x${S}x3 values`);
    if (
      fineTune.encoder.pooledSize !== P ||
      fineTune.encoder.gridPositions !== G ||
      fineTune.encoder.gridChannels !== C
    )
      throw new InvalidInputError('fineTune.encoder does not produce features of data.featureShape');
    return;
  }
  if (train.pooled.length !== train.images * P)
    throw new InvalidInputError(
      `train.pooled has ${train.pooled.length} values, expected ${train.images}x${P}`,
    );
  if (val.pooled.length !== val.images * P)
    throw new InvalidInputError(`val.pooled has ${val.pooled.length} values, expected ${val.images}x${P}`);
  if (modelConfig.decoder.attention) {
    if (G <= 0 || C <= 0)
      throw new ConfigError('decoder.attention needs grid features, but featureShape has no grid');
    if (!train.grid || train.grid.length !== train.images * G * C)
      throw new InvalidInputError(`train.grid must hold ${train.images}x${G}x${C} values`);
    if (!val.grid || val.grid.length !== val.images * G * C)
      throw new InvalidInputError(`val.grid must hold ${val.images}x${G}x${C} values`);
  }
}

function checkLabels(options: TrainCaptionerOptions): void {
  const { data } = options;
  const { train, val } = data;
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

/**
 * Trains the caption decoder on pre-extracted features with teacher forcing, masked cross-entropy and Adam,
 * selecting the best checkpoint on a metric of decoded validation captions. Deterministic for a seed on a
 * given backend, and a run resumed from any checkpoint reaches the same weights as an uninterrupted one.
 */
export async function trainCaptioner(options: TrainCaptionerOptions): Promise<TrainCaptionerResult> {
  const { modelConfig, trainingConfig: config, data, checkpointsDir } = options;
  checkData(options);
  const spec: DecoderSpec = {
    decoder: modelConfig.decoder,
    featureShape: data.featureShape,
    vocabSize: data.vocabSize,
  };
  const { pooledSize: P, gridPositions: G, gridChannels: C } = data.featureShape;
  const M = data.train.captionImage.length;
  const perEpoch = stepsPerEpoch(M, config.batchSize);
  const metricName = config.validation.metric;

  await removePartialCheckpoints(checkpointsDir);
  let params: DecoderParams;
  let norm: FeatureNorm;
  let adam: Adam;
  let loop: LoopState = {
    cursor: { epoch: 0, batch: 0 },
    rng: { kind: 'counter', seed: config.seed },
    best: null,
    epochsWithoutImprovement: 0,
  };
  let last: CheckpointInfo | null = null;
  const fineTune = options.fineTune;
  const encoderVariables = fineTune ? encoderTrainableVariables(fineTune.encoder) : {};
  const existing = options.resume ? await listCheckpoints(checkpointsDir) : [];
  if (existing.length > 0) {
    const newest = existing[existing.length - 1];
    const { meta, tensors } = await readCheckpointDir(newest.dir);
    if (
      !sameShape(meta.modelConfig.decoder, modelConfig.decoder) ||
      !sameShape(meta.featureShape, data.featureShape) ||
      meta.vocabSize !== data.vocabSize
    ) {
      throw new ConfigError(
        `cannot resume from ${newest.dir}: its model config, feature shape or vocabulary size differs from this run's`,
      );
    }
    ({ params, norm } = decoderFromArrays(spec, tensors));
    if (fineTune) applyEncoderWeights(fineTune.encoder, tensors);
    adam = new Adam({ ...params, ...encoderVariables });
    adam.restore(tensors, meta.step);
    loop = meta.training as unknown as LoopState;
    last = {
      step: meta.step,
      epoch: meta.epoch,
      dir: newest.dir,
      kind: meta.training.kind as CheckpointInfo['kind'],
      isBest: loop.best?.dir === newest.dir,
    };
  } else {
    params = createDecoderParams(spec, deriveSeed(config.seed, 0x1417));
    // Fine-tuning standardises with the statistics of the initial encoder's features.
    const initial = fineTune
      ? await encodeImages(fineTune.encoder, fineTune.trainImages, data.train.images)
      : data.train;
    norm = computeFeatureNorm(
      data.featureShape,
      initial.pooled,
      modelConfig.decoder.attention ? initial.grid : undefined,
    );
    adam = new Adam({ ...params, ...encoderVariables });
  }
  const math = new DecoderMath(spec, params, norm);
  const liveModel = new CaptionModel(modelConfig, data.featureShape, data.vocabSize, params, norm, false);
  const variables = Object.values(params);
  const trained = { ...params, ...encoderVariables };
  const totalSteps = config.epochs * perEpoch;

  const saveCheckpoint = async (
    kind: CheckpointInfo['kind'],
    valScore?: number,
    isBest = false,
  ): Promise<CheckpointInfo> => {
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
      { ...decoderToArrays(params, norm), ...variablesToArrays(encoderVariables), ...adam.toArrays() },
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
    for (const removed of await pruneCheckpoints(checkpointsDir, config.keepLastCheckpoints, loop.best?.dir))
      await options.onCheckpointPruned?.(removed);
    last = info;
    return info;
  };

  const started = Date.now();
  let tokensSinceStart = 0;
  let stepsSinceStart = 0;
  let lossSum = 0;
  let lossCount = 0;
  let stoppedBy: TrainCaptionerResult['stoppedBy'] = 'epochs';
  // A run that had already stopped early stays stopped when resumed with the same patience.
  if (config.earlyStoppingPatience > 0 && loop.epochsWithoutImprovement >= config.earlyStoppingPatience)
    stoppedBy = 'early-stopping';
  try {
    while (stoppedBy === 'epochs' && loop.cursor.epoch < config.epochs) {
      const epoch = loop.cursor.epoch;
      const order = epochOrder(config.seed, epoch, M);
      const learningRate = learningRateAt(config, epoch);
      const encoderLearningRate = (learningRate * config.encoderLearningRate) / config.learningRate;
      const learningRateOf = (name: string) =>
        name.startsWith('encoder/') ? encoderLearningRate : undefined;
      const samplingProbability = samplingProbabilityAt(config, epoch);
      while (loop.cursor.batch < perEpoch) {
        const batch = gatherBatch(
          data.train,
          order,
          loop.cursor.batch,
          config.batchSize,
          P,
          G * C,
          modelConfig.decoder.attention && !fineTune,
        );
        const tokens = timeMajorTokens(batch).tokens;
        const stepSeed = deriveSeed(config.seed, 0x57e9, adam.step);
        const features = fineTune
          ? batchFeatures(
              fineTune,
              data.featureShape,
              data.train.captionImage,
              batchRows(order, loop.cursor.batch, config.batchSize),
            )
          : undefined;
        const loss = trainStep(
          math,
          adam,
          batch,
          {
            seed: stepSeed,
            learningRate,
            gradClipNorm: config.gradClipNorm,
            samplingProbability,
            attentionRegularization: config.attentionRegularization,
            learningRateOf,
          },
          trained,
          features,
        );
        const lossValue = (await loss.data())[0];
        loss.dispose();
        if (!Number.isFinite(lossValue))
          throw new Error(`training diverged at step ${adam.step}: loss ${lossValue}`);
        loop.cursor.batch += 1;
        const step = adam.step;
        tokensSinceStart += tokens;
        stepsSinceStart += 1;
        lossSum += lossValue;
        lossCount += 1;
        const seconds = (Date.now() - started) / 1000;
        const tokensPerSecond = tokensSinceStart / Math.max(seconds, 1e-3);
        const etaSeconds = ((totalSteps - step) * seconds) / stepsSinceStart;
        options.onProgress?.({
          fraction: Math.min(step / totalSteps, 1),
          message: `epoch ${epoch + 1}/${config.epochs} step ${step}/${totalSteps} loss ${lossValue.toFixed(3)}`,
          figures: { step, epoch, loss: lossValue, tokensPerSecond, etaSeconds },
        });
        if (step % config.logEverySteps === 0) {
          await options.onMetric?.({ name: 'train/loss', step, epoch, value: lossSum / lossCount });
          await options.onMetric?.({ name: 'train/tokens_per_second', step, epoch, value: tokensPerSecond });
          await options.onMetric?.({ name: 'train/learning_rate', step, epoch, value: learningRate });
          await options.onMetric?.({ name: 'train/eta_seconds', step, epoch, value: etaSeconds });
          lossSum = 0;
          lossCount = 0;
        }
        if (options.signal?.aborted) {
          await saveCheckpoint('step');
          throw new CancelledError(`training cancelled at step ${step}; checkpoint ${last!.dir}`);
        }
        if (step % config.checkpointEverySteps === 0 && loop.cursor.batch < perEpoch)
          await saveCheckpoint('step');
        // tfjs on wasm/cpu is synchronous: give timers (queue lock renewal, progress output) a turn every step.
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Epoch end: validate on decoded captions, checkpoint, and decide whether to stop.
      const val = fineTune
        ? await fineTunedValSplit(fineTune, data.val, config.validation.maxImages)
        : data.val;
      const { score, samples } = await validationScore(
        liveModel,
        val,
        config.validation,
        data.decodeTokens,
        options.scoreCaptions,
      );
      const isBest = loop.best === null || score > loop.best.score;
      loop.epochsWithoutImprovement = isBest ? 0 : loop.epochsWithoutImprovement + 1;
      loop.cursor = { epoch: epoch + 1, batch: 0 };
      await options.onMetric?.({
        name: `val/${metricName}`,
        step: adam.step,
        epoch: epoch + 1,
        value: score,
      });
      options.onProgress?.({
        fraction: Math.min(adam.step / totalSteps, 1),
        message: `epoch ${epoch + 1} val ${metricName} ${score.toFixed(3)}${isBest ? ' (best)' : ''}: "${samples[0] ?? ''}"`,
        figures: { step: adam.step, epoch: epoch + 1, [`val_${metricName}`]: score },
      });
      await saveCheckpoint('epoch', score, isBest);
      if (options.signal?.aborted)
        throw new CancelledError(`training cancelled after epoch ${epoch + 1}; checkpoint ${last!.dir}`);
      if (config.earlyStoppingPatience > 0 && loop.epochsWithoutImprovement >= config.earlyStoppingPatience) {
        stoppedBy = 'early-stopping';
        break;
      }
    }
    if (!last) throw new Error('training ran no step');
    const best = loop.best;
    return {
      steps: adam.step,
      epochs: loop.cursor.epoch,
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
      last,
      stoppedBy,
    };
  } finally {
    adam.dispose();
    tf.dispose(variables);
    tf.dispose(Object.values(norm));
  }
}
