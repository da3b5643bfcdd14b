import { z } from 'zod';
import { artifactPaths } from '@captioner/core';
import { getRun, listShards } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { loadVocabulary, readFeatureSet, readManifest, splitItems } from '@captioner/dataset';
import { scoreCaptions } from '@captioner/metrics';
import type { CorpusScores } from '@captioner/metrics';
import {
  CaptionModel,
  computeFeatureNorm,
  createDecoderParams,
  initBackend,
  modelConfigSchema,
} from '@captioner/model';
import type { BackendName } from '@captioner/core';
import { decodeFeatureSet } from './caption-split';

/**
 * Scores a decoder with the run's architecture but untrained (initial, seeded) weights on a split:
 * the floor a trained model must clearly beat. Uses the run's features and vocabulary.
 */
export async function scoreUntrainedDecoder(
  db: DbClient,
  home: string,
  options: { runId: string; split: 'val' | 'test'; beamSize: number; backend?: BackendName },
): Promise<CorpusScores> {
  const run = await getRun(db, options.runId);
  const runConfig = z
    .object({ model: z.unknown(), seed: z.number().int().default(1) })
    .parse(JSON.parse(run.config));
  const modelConfig = modelConfigSchema.parse(runConfig.model ?? {});
  const manifest = await readManifest(run.dataset.manifestPath);
  const vocabulary = await loadVocabulary(artifactPaths(home).vocabulary(run.id));
  const items = splitItems(manifest, options.split);
  const shardFiles = (await listShards(db, run.id, 'features')).map((s) => s.path);
  const features = await readFeatureSet(shardFiles, new Set(items.map((i) => i.id)));
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
    createDecoderParams(spec, runConfig.seed),
    computeFeatureNorm(featureShape, features.pooled, withGrid ? features.grid : undefined),
  );
  try {
    const tokens = await decodeFeatureSet(model, features, { beamSize: options.beamSize, withGrid });
    const captionsById = new Map(items.map((item) => [item.id, item.captions]));
    const refs: Record<string, string[]> = {};
    const cands: Record<string, string> = {};
    features.ids.forEach((id, row) => {
      refs[id] = captionsById.get(id) ?? [];
      cands[id] = vocabulary.decode(tokens[row]);
    });
    return scoreCaptions({ refs, cands }).corpus;
  } finally {
    model.dispose();
  }
}
