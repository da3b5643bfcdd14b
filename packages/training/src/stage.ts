import { medianPruner } from './sweep-pruning';
import { ConfigError, InvalidInputError, artifactPaths, fileExists, warnOnFailure } from '@captioner/core';
import {
  getRun,
  listShards,
  readRunConfig,
  markCheckpointPruned,
  recordCheckpoint,
  recordMetric,
  recordRunAutoBatch,
  recordRunLog,
  setRunBackend,
} from '@captioner/db';
import type { InputSettings, StageContext } from '@captioner/stage-contract';
import {
  buildVocabulary,
  loadVocabulary,
  readFeatureSet,
  readManifest,
  saveVocabulary,
  splitItems,
} from '@captioner/dataset';
import type { Vocabulary } from '@captioner/dataset';
import { ptbTokenizeToString } from '@captioner/metrics';
import { initBackend } from '@captioner/model';
import { runConfigSection } from '@captioner/stage-contract';
import { trainCaptioner } from './loop/train-captioner';
import { trainSelfCritical } from './loop/self-critical';
import { groundingValidationScorer } from './loop/scst-reward';
import type { TrainCaptionerOptions } from './loop/types';
import { loadRunFineTuneEncoder, loadRunFineTuneInput } from './fine-tune-input';
import { streamedTrainingData } from './input/streamed-data';
import type { FineTuneEncoder, FineTuneInput, InMemoryTrainingData, TrainingData } from './loop/types';
import { isStreamed } from './loop/source';
import { holdsImages } from './loop/fine-tune';
import { fineTuneAugment, vocabularyWords } from './augment/run-augment';
import { featureViewCount, tokenSideSwap } from '@captioner/feature-extraction';
import { readMemoryViews } from './augment/memory-views';
import { runAttentionCells } from './attention-cells';
import type { FineTuneAugment } from './augment/batch-plan';

/**
 * The run's vocabulary: built from the train split on first use and saved under the run, so a
 * resumed training and every later evaluation use exactly the same ids.
 */
export async function loadOrBuildRunVocabulary(file: string, build: () => Vocabulary): Promise<Vocabulary> {
  if (await fileExists(file)) return loadVocabulary(file);
  const vocabulary = build();
  await saveVocabulary(file, vocabulary);
  return vocabulary;
}

/**
 * The train stage handler: features of the train and val splits + the run's vocabulary -> a trained
 * decoder, with checkpoints and metrics recorded in the database. Resumes from the newest checkpoint.
 * With `encoder.trainable` the features come from the image shards through the encoder, whose last
 * blocks train too (their weights go into the checkpoints; the run's encoder directory stays as it was).
 * With `training.selfCritical`, self-critical training follows (`trainSelfCritical`).
 */
export async function trainStage(payload: { runId: string }, ctx: StageContext): Promise<void> {
  const run = await getRun(ctx.db, payload.runId);
  const runConfig = readRunConfig(run);
  const modelConfig = runConfigSection(runConfig, 'model');
  const trainingConfig = runConfigSection(runConfig, 'training');
  const paths = artifactPaths(ctx.config.home);
  const manifest = await readManifest(run.dataset.manifestPath);
  const vocabulary = await loadOrBuildRunVocabulary(paths.vocabulary(run.id), () =>
    buildVocabulary(manifest, runConfigSection(runConfig, 'vocabulary')),
  );

  const shardFiles = (await listShards(ctx.db, run.id, 'features')).map((s) => s.path);
  if (shardFiles.length === 0) throw new InvalidInputError(`run ${run.id}: no feature shards recorded`);
  const trainIds = new Set(splitItems(manifest, 'train').map((i) => i.id));
  const valIds = new Set(splitItems(manifest, 'val').map((i) => i.id));
  const captionsById = new Map(manifest.items.map((item) => [item.id, item.captions]));
  const scenesById = new Map(manifest.items.map((item) => [item.id, item.scene]));
  const references = (id: string) => (captionsById.get(id) ?? []).map(ptbTokenizeToString);

  const backend = await initBackend(ctx.config.backend);
  await setRunBackend(ctx.db, run.id, backend);
  const withGrid = modelConfig.decoder.attention;
  const augment = runConfigSection(runConfig, 'preprocess').augment;
  // Self-critical training samples from every training image at random, so its data is held in memory;
  // otherwise training streams shards (features, or images when the encoder is fine-tuned) at any size.
  const prepared: PreparedData = trainingConfig.selfCritical
    ? await inMemoryData(
        ctx,
        run.id,
        paths,
        shardFiles,
        { trainIds, valIds, captionsById, references },
        vocabulary,
        withGrid,
        modelConfig.encoder.trainable,
        fineTuneAugment(runConfigSection(runConfig, 'preprocess'), vocabulary),
        featureViewCount(augment, modelConfig.encoder.trainable),
      )
    : await streamedData(ctx, run.id, paths, {
        featureShards: shardFiles,
        trainIds,
        valIds,
        captionsOf: (id) => captionsById.get(id),
        references,
        vocabulary,
        withGrid,
        input: trainingConfig.input,
        fineTuning: modelConfig.encoder.trainable,
        augment: fineTuneAugment(runConfigSection(runConfig, 'preprocess'), vocabulary),
        views: featureViewCount(augment, modelConfig.encoder.trainable),
      });
  const { data, fineTune } = prepared;
  // Attention targets follow the train split's caption rows: the in-memory ids, or the stream's index.
  const attentionCells = runAttentionCells({
    trainingConfig,
    modelConfig,
    horizontalFlip: augment.horizontalFlip,
    ids: isStreamed(data.train) ? data.train.index.ids : (prepared.trainIds ?? []),
    captionsOf: (id) => captionsById.get(id),
    sceneOf: (id) => scenesById.get(id),
    captionLength: vocabulary.sequenceLength,
    manifestPath: run.dataset.manifestPath,
  });
  if (attentionCells) data.train.attentionCells = attentionCells;
  await recordRunLog(ctx.db, { runId: run.id, stage: 'train', level: 'info', message: dataLogLine(data) });
  try {
    const options: TrainCaptionerOptions = {
      modelConfig,
      trainingConfig,
      data,
      checkpointsDir: paths.checkpointsDir(run.id),
      resume: true,
      signal: ctx.signal,
      onProgress: (update) => {
        void ctx.reportProgress(update).catch(warnOnFailure(ctx.logger, 'recording progress'));
      },
      onMetric: (metric) => recordMetric(ctx.db, { runId: run.id, ...metric }).then(() => {}),
      ...(trainingConfig.validation.metric === 'grounding'
        ? { scoreCaptions: groundingValidationScorer(scenesById) }
        : {}),
      shouldPrune: await medianPruner(ctx.db, run, trainingConfig.validation.metric),
      prunedAtEpoch: run.prunedAtEpoch ?? undefined,
      onCheckpoint: (checkpoint) =>
        recordCheckpoint(ctx.db, {
          runId: run.id,
          step: checkpoint.step,
          epoch: checkpoint.epoch,
          kind: checkpoint.kind,
          path: checkpoint.dir,
          valMetric: checkpoint.metric,
          valScore: checkpoint.valScore,
          isBest: checkpoint.isBest,
        }).then(() => {}),
      onCheckpointPruned: (dir) => markCheckpointPruned(ctx.db, run.id, dir).then(() => {}),
      onAutoBatch: (choice) => recordRunAutoBatch(ctx.db, run.id, choice),
      fineTune,
    };
    const crossEntropy = await trainCaptioner(options);
    // Self-critical training continues from the best cross-entropy checkpoint (it is idempotent to
    // resume: a finished cross-entropy phase returns at once from its last checkpoint).
    // A run its sweep pruned spends nothing more on training.
    if (trainingConfig.selfCritical && crossEntropy.stoppedBy !== 'pruned')
      await trainSelfCritical({
        ...options,
        ...inMemory(data, fineTune),
        crossEntropy,
        trainScenes: prepared.trainIds?.map((id) => scenesById.get(id)),
      });
  } finally {
    fineTune?.encoder.dispose();
  }
}

/** What training reads: its data, the encoder it fine-tunes (if any), and (in memory) the train ids in row order. */
interface PreparedData {
  data: TrainingData;
  fineTune: FineTuneInput | FineTuneEncoder | undefined;
  trainIds: string[] | undefined;
}

/** The splits streamed from the run's shards: feature shards, or image shards when the encoder is fine-tuned. */
async function streamedData(
  ctx: StageContext,
  runId: string,
  paths: ReturnType<typeof artifactPaths>,
  options: {
    featureShards: string[];
    trainIds: Set<string>;
    valIds: Set<string>;
    captionsOf: (id: string) => readonly string[] | undefined;
    references: (id: string) => string[];
    vocabulary: Vocabulary;
    withGrid: boolean;
    input: InputSettings;
    fineTuning: boolean;
    augment: FineTuneAugment | undefined;
    views: number;
  },
): Promise<PreparedData> {
  const common = {
    trainIds: options.trainIds,
    valIds: options.valIds,
    captionsOf: options.captionsOf,
    references: options.references,
    vocabulary: options.vocabulary,
    input: options.input,
  };
  if (!options.fineTuning) {
    const shards = { source: 'features' as const, files: options.featureShards, withGrid: options.withGrid };
    return {
      data: await streamedTrainingData({ ...common, shards, views: options.views }),
      fineTune: undefined,
      trainIds: undefined,
    };
  }
  const { fineTune, imageShards } = await loadRunFineTuneEncoder(
    ctx.db,
    runId,
    paths.encoderDir(runId),
    options.augment,
  );
  try {
    const { encoder } = fineTune;
    const shards = {
      source: 'images' as const,
      files: imageShards,
      imageSize: encoder.config.imageSize,
      featureShape: {
        pooledSize: encoder.pooledSize,
        gridPositions: encoder.gridPositions,
        gridChannels: encoder.gridChannels,
      },
    };
    return { data: await streamedTrainingData({ ...common, shards }), fineTune, trainIds: undefined };
  } catch (error) {
    fineTune.encoder.dispose();
    throw error;
  }
}

/** The train and val splits in memory, with the images fine-tuning trains the encoder on. */
async function inMemoryData(
  ctx: StageContext,
  runId: string,
  paths: ReturnType<typeof artifactPaths>,
  shardFiles: string[],
  splits: {
    trainIds: Set<string>;
    valIds: Set<string>;
    captionsById: Map<string, string[]>;
    references: (id: string) => string[];
  },
  vocabulary: Vocabulary,
  withGrid: boolean,
  fineTuning: boolean,
  augment: FineTuneAugment | undefined,
  views: number,
): Promise<{ data: InMemoryTrainingData; fineTune: FineTuneInput | undefined; trainIds: string[] }> {
  const trainFeatures = await readFeatureSet(shardFiles, splits.trainIds);
  const valFeatures = await readFeatureSet(shardFiles, splits.valIds);
  if (trainFeatures.ids.length === 0)
    throw new InvalidInputError(`run ${runId}: the train split has no images`);
  if (valFeatures.ids.length === 0) throw new InvalidInputError(`run ${runId}: the val split has no images`);
  const trainCaptions: string[] = [];
  const captionImage: number[] = [];
  trainFeatures.ids.forEach((id, row) => {
    for (const caption of splits.captionsById.get(id) ?? []) {
      trainCaptions.push(caption);
      captionImage.push(row);
    }
  });
  const encoded = vocabulary.encodeBatch(trainCaptions);
  const fineTune = fineTuning
    ? await loadRunFineTuneInput(
        ctx.db,
        runId,
        paths.encoderDir(runId),
        {
          train: trainFeatures.ids,
          val: valFeatures.ids,
        },
        augment,
      )
    : undefined;
  return {
    fineTune,
    trainIds: trainFeatures.ids,
    data: {
      vocabSize: vocabulary.size,
      train: {
        pooled: trainFeatures.pooled,
        grid: withGrid ? trainFeatures.grid : undefined,
        images: trainFeatures.ids.length,
        captions: encoded.ids,
        captionLength: encoded.length,
        captionImage: Int32Array.from(captionImage),
        ...(views > 1
          ? {
              views: await readMemoryViews(
                shardFiles,
                trainFeatures.ids,
                views,
                withGrid,
                tokenSideSwap(vocabularyWords(vocabulary)),
              ),
            }
          : {}),
      },
      val: {
        pooled: valFeatures.pooled,
        grid: withGrid ? valFeatures.grid : undefined,
        images: valFeatures.ids.length,
        references: valFeatures.ids.map(splits.references),
        ids: valFeatures.ids,
      },
      featureShape: {
        pooledSize: trainFeatures.pooledSize,
        gridPositions: trainFeatures.gridPositions,
        gridChannels: trainFeatures.gridChannels,
      },
      decodeTokens: (ids) => vocabulary.decode(ids),
    },
  };
}

/** What the run's log says of where training reads from, so that memory use can be explained. */
function dataLogLine(data: TrainingData): string {
  if (!isStreamed(data.train))
    return 'training holds its data in memory (self-critical training samples any image)';
  const { index, input } = data.train;
  return `training streams ${index.shards.length} ${index.source === 'images' ? 'image' : 'feature'} shards (shuffle buffer ${input.shuffleBuffer} captions, ${input.prefetchShards} read ahead)`;
}

/** The data (and images) of a run whose training needs them in memory (see the choice above). */
function inMemory(
  data: TrainingData,
  fineTune: FineTuneInput | FineTuneEncoder | undefined,
): { data: InMemoryTrainingData; fineTune: FineTuneInput | undefined } {
  if (isStreamed(data.train) || isStreamed(data.val) || (fineTune && !holdsImages(fineTune)))
    throw new ConfigError('training.selfCritical: needs the features and images in memory, not streamed');
  return { data: data as InMemoryTrainingData, fineTune };
}
