import { NotFoundError } from '@captioner/core';
import { listShards } from '@captioner/db';
import type { DbClient } from '@captioner/db';
import { readFeatureSet, readManifest, splitItems } from '@captioner/dataset';
import type { FeatureSet, Vocabulary } from '@captioner/dataset';
import { scoreCaptions } from '@captioner/metrics';
import type { CaptionScores } from '@captioner/metrics';
import type { CaptionModel } from '@captioner/model';
import type { ProgressListener } from '@captioner/core';
import { decodeFeatureSet } from './caption-split';

/** A split of a run's data set, ready to caption: features in row order and each image's references. */
export interface SplitData {
  features: FeatureSet;
  references: Map<string, string[]>;
}

export async function loadSplitData(
  db: DbClient,
  run: { id: string; dataset: { manifestPath: string } },
  split: 'val' | 'test',
  maxImages = 0,
): Promise<SplitData> {
  const manifest = await readManifest(run.dataset.manifestPath);
  let items = splitItems(manifest, split);
  if (maxImages > 0) items = items.slice(0, maxImages);
  const shardFiles = (await listShards(db, run.id, 'features')).map((s) => s.path);
  const features = await readFeatureSet(shardFiles, new Set(items.map((i) => i.id)));
  if (features.ids.length === 0) throw new NotFoundError(`run ${run.id}: the ${split} split has no images`);
  return { features, references: new Map(items.map((item) => [item.id, item.captions])) };
}

/** Captions every image of the split and scores the captions against the references, as coco-caption does. */
export async function captionAndScore(
  model: CaptionModel,
  data: SplitData,
  vocabulary: Vocabulary,
  options: { beamSize: number; onProgress?: ProgressListener; signal?: AbortSignal },
): Promise<{ refs: Record<string, string[]>; cands: Record<string, string>; scores: CaptionScores }> {
  const tokens = await decodeFeatureSet(model, data.features, {
    beamSize: options.beamSize,
    withGrid: model.config.decoder.attention,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  data.features.ids.forEach((id, row) => {
    refs[id] = data.references.get(id) ?? [];
    cands[id] = vocabulary.decode(tokens[row]);
  });
  return { refs, cands, scores: scoreCaptions({ refs, cands }) };
}
