import { ConfigError, InvalidInputError } from '@captioner/core';
import { SCENE_GRID, encodeAttentionCells } from '@captioner/dataset';
import type { Scene } from '@captioner/dataset';
import type { AttentionCells, ModelConfig } from '@captioner/model';
import type { TrainingConfig } from './loop/config';

/**
 * The attention targets of a run's training captions (`training.attentionSupervision`): for the captions of
 * `ids`, in that order and each image's captions in manifest order (the order the train split's caption
 * rows have), the scene cell each word names. Only data sets that record scenes (the synthetic shapes)
 * have them; a run asking for supervision on any other data, or in a combination that would move words
 * away from their cells, is refused before training starts.
 */
export function runAttentionCells(input: {
  trainingConfig: TrainingConfig;
  modelConfig: ModelConfig;
  horizontalFlip: boolean;
  ids: readonly string[];
  captionsOf: (id: string) => readonly string[] | undefined;
  sceneOf: (id: string) => Scene | undefined;
  captionLength: number;
  manifestPath: string;
}): AttentionCells | undefined {
  if (input.trainingConfig.attentionSupervision <= 0) return undefined;
  if (!input.modelConfig.decoder.attention)
    throw new ConfigError(
      'training.attentionSupervision needs an attention decoder (model.decoder.attention)',
    );
  // Mirrored captions swap left and right; their cells would have to be mirrored with them.
  if (input.horizontalFlip)
    throw new ConfigError(
      'training.attentionSupervision cannot be combined with preprocess.augment.horizontalFlip',
    );
  const captions: string[] = [];
  const scenes: Scene[] = [];
  for (const id of input.ids) {
    const scene = input.sceneOf(id);
    if (!scene)
      throw new InvalidInputError(
        `${input.manifestPath}: image ${id} has no scene, which training.attentionSupervision needs (only synthetic shapes data sets record scenes)`,
      );
    for (const caption of input.captionsOf(id) ?? []) {
      captions.push(caption);
      scenes.push(scene);
    }
  }
  return { cells: encodeAttentionCells(captions, scenes, input.captionLength), grid: SCENE_GRID };
}

/** The targets of caption rows `rows` (a batch), [rows.length, T]. */
export function gatherAttentionCells(
  all: AttentionCells,
  rows: ArrayLike<number>,
  T: number,
): AttentionCells {
  const cells = new Int8Array(rows.length * T);
  for (let b = 0; b < rows.length; b++) cells.set(all.cells.subarray(rows[b] * T, (rows[b] + 1) * T), b * T);
  return { cells, grid: all.grid };
}
