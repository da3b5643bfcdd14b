import { artifactPaths } from '@captioner/core';
import { getRun, readRunConfig } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { loadVocabulary } from '@captioner/dataset';
import { CaptionModel, computeFeatureNorm, createDecoderParams, initBackend } from '@captioner/model';
import { runConfigSection } from '@captioner/stage-contract';
import type { BackendName } from '@captioner/core';
import { captionAndScore, loadSplitData } from './split-data';
import type { CaptionedSplit } from './split-data';

/**
 * Scores a decoder with the run's architecture but untrained (initial, seeded) weights on a split:
 * the floor a trained model must clearly beat. Uses the run's features and vocabulary.
 */
export async function scoreUntrainedDecoder(
  db: DbClient,
  home: string,
  options: { runId: string; split: 'val' | 'test'; beamSize: number; backend?: BackendName },
): Promise<CaptionedSplit> {
  const run = await getRun(db, options.runId);
  const runConfig = readRunConfig(run);
  const modelConfig = runConfigSection(runConfig, 'model');
  const vocabulary = await loadVocabulary(artifactPaths(home).vocabulary(run.id));
  const data = await loadSplitData(db, run, options.split);
  const { features } = data;
  await initBackend(options.backend);
  const featureShape = {
    pooledSize: features.pooledSize,
    gridPositions: features.gridPositions,
    gridChannels: features.gridChannels,
  };
  const spec = { decoder: modelConfig.decoder, featureShape, vocabSize: vocabulary.size };
  const withGrid = modelConfig.decoder.attention;
  const model = new CaptionModel(
    modelConfig,
    featureShape,
    vocabulary.size,
    createDecoderParams(spec, runConfigSection(runConfig, 'seed')),
    computeFeatureNorm(featureShape, features.pooled, withGrid ? features.grid : undefined),
  );
  try {
    return await captionAndScore(model, data, vocabulary, { beamSize: options.beamSize });
  } finally {
    model.dispose();
  }
}
