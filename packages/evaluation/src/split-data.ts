import { NotFoundError } from '@captioner/core';
import { listShards } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { readFeatureSet, readImageSet, readManifest, splitItems } from '@captioner/dataset';
import { groundCaptions } from '@captioner/dataset';
import type { FeatureSet, GroundingFigures, Scene, Vocabulary } from '@captioner/dataset';
import { captionDiversity, scoreCaptions } from '@captioner/metrics';
import type { CaptionScores, DiversityFigures } from '@captioner/metrics';
import { encodeImages } from '@captioner/model';
import type { CaptionModel, DecodeOptions, FeatureEncoder } from '@captioner/model';
import type { ProgressListener } from '@captioner/core';
import { decodeFeatureSet } from './caption-split';

/** A split of a run's data set, ready to caption: features in row order and each image's references. */
export interface SplitData {
  features: FeatureSet;
  references: Map<string, string[]>;
  /** Each image's scene, for synthetic data sets whose manifest records them (shapes); empty otherwise. */
  scenes: Map<string, Scene>;
  /** Every reference caption of the training split: a generated caption equal to one is not novel. */
  trainingCaptions: string[];
}

/**
 * The split's features from the run's feature shards or, for a checkpoint whose encoder was fine-tuned,
 * computed from the run's image shards with `options.encoder` (the encoder as that checkpoint left it).
 */
export async function loadSplitData(
  db: DbClient,
  run: { id: string; dataset: { manifestPath: string } },
  split: 'val' | 'test',
  maxImages = 0,
  options: { encoder?: FeatureEncoder; onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<SplitData> {
  const manifest = await readManifest(run.dataset.manifestPath);
  let items = splitItems(manifest, split);
  if (maxImages > 0) items = items.slice(0, maxImages);
  const wanted = new Set(items.map((i) => i.id));
  const features = options.encoder
    ? await encodeSplit(db, run.id, wanted, options.encoder, options)
    : await readFeatureSet(await shardPaths(db, run.id, 'features'), wanted);
  if (features.ids.length === 0) throw new NotFoundError(`run ${run.id}: the ${split} split has no images`);
  // Only images that were captioned: a feature shard may lack an image that failed extraction.
  const captioned = new Set(features.ids);
  const scenes = new Map<string, Scene>();
  for (const item of items) if (item.scene && captioned.has(item.id)) scenes.set(item.id, item.scene);
  const trainingCaptions = splitItems(manifest, 'train').flatMap((item) => item.captions);
  return {
    features,
    references: new Map(items.map((item) => [item.id, item.captions])),
    scenes,
    trainingCaptions,
  };
}

async function shardPaths(db: DbClient, runId: string, kind: 'images' | 'features'): Promise<string[]> {
  const files = (await listShards(db, runId, kind)).map((s) => s.path);
  if (files.length === 0)
    throw new NotFoundError(`run ${runId}: no ${kind === 'images' ? 'image' : 'feature'} shards recorded`);
  return files;
}

async function encodeSplit(
  db: DbClient,
  runId: string,
  wanted: ReadonlySet<string>,
  encoder: FeatureEncoder,
  options: { onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<FeatureSet> {
  const { ids, images } = await readImageSet(await shardPaths(db, runId, 'images'), wanted);
  const { pooled, grid } = await encodeImages(encoder, images, ids.length, options);
  return {
    ids,
    pooled,
    grid,
    pooledSize: encoder.pooledSize,
    gridPositions: encoder.gridPositions,
    gridChannels: encoder.gridChannels,
  };
}

/** What `captionAndScore` returns: the captions, their coco-caption scores and, with scenes, their grounding. */
export interface CaptionedSplit {
  refs: Record<string, string[]>;
  cands: Record<string, string>;
  scores: CaptionScores;
  /** How varied the captions are (unique share, distinct-n, novel share against the training captions). */
  diversity: DiversityFigures;
  /** Present when the split's images have scenes (shapes): how true the captions are to them. */
  grounding?: GroundingFigures;
}

/**
 * Scores captions against the split's references as coco-caption does and, where the manifest records
 * scenes, checks them against the scenes. Measures their diversity too.
 */
export function scoreSplitCaptions(data: SplitData, cands: Record<string, string>): CaptionedSplit {
  const refs: Record<string, string[]> = {};
  for (const id of data.features.ids) refs[id] = data.references.get(id) ?? [];
  const scores = scoreCaptions({ refs, cands });
  const diversity = captionDiversity(
    data.features.ids.map((id) => cands[id]),
    data.trainingCaptions,
  );
  return data.scenes.size > 0
    ? { refs, cands, scores, diversity, grounding: groundCaptions(cands, data.scenes) }
    : { refs, cands, scores, diversity };
}

/** Captions every image of the split and scores the captions (see `scoreSplitCaptions`). */
export async function captionAndScore(
  model: CaptionModel,
  data: SplitData,
  vocabulary: Vocabulary,
  options: DecodeOptions & { beamSize: number; onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<CaptionedSplit> {
  const tokens = await decodeFeatureSet(model, data.features, {
    beamSize: options.beamSize,
    lengthPenalty: options.lengthPenalty,
    noRepeatNgramSize: options.noRepeatNgramSize,
    maxLength: options.maxLength,
    withGrid: model.config.decoder.attention,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const cands: Record<string, string> = {};
  data.features.ids.forEach((id, row) => {
    cands[id] = vocabulary.decode(tokens[row]);
  });
  return scoreSplitCaptions(data, cands);
}
