import { ConfigError } from '@captioner/core';
import { distinctObjectsNamedRight, groundCaption } from '@captioner/dataset';
import type { Scene } from '@captioner/dataset';
import { CiderDReward, scoreCaptions } from '@captioner/metrics';
import type { SelfCriticalConfig } from '@captioner/stage-contract';
import type { CaptionScorer } from './types';

/** The reward of one sampled caption (tokenized words) of training image `image` (its row). */
export interface CaptionReward {
  score(image: number, words: readonly string[]): number;
}

/**
 * How true a caption is to its scene, per object of the scene: each object, relation or count stated
 * right +1, each stated wrong −2 (a wrong statement costs more than a right one earns, so naming fewer
 * things beats guessing). An object counts once: naming it again is a wrong statement, so that repeating
 * mentions ("a red circle and a red circle and…") cannot farm the reward. A caption that names every
 * object of the scene right and nothing else scores 1.
 */
export function groundingScore(words: readonly string[], scene: Scene): number {
  const caption = words.join(' ');
  const g = groundCaption(caption, scene);
  const objectsRight = distinctObjectsNamedRight(caption, scene);
  const right = objectsRight + g.relationsRight + g.countsRight;
  const wrong =
    g.objectsNamed - objectsRight + (g.relationsStated - g.relationsRight) + (g.countsStated - g.countsRight);
  return (right - 2 * wrong) / scene.objects.length;
}

/**
 * The self-critical reward of `config`: CIDEr-D against each training image's references (document
 * frequencies of the training split) and, with `CIDEr+grounding`, plus `groundingWeight` ×
 * `groundingScore` against the image's scene — which every training image must then have.
 */
export function selfCriticalReward(
  config: Pick<SelfCriticalConfig, 'reward' | 'groundingWeight'>,
  references: ReadonlyArray<ReadonlyArray<readonly string[]>>,
  scenes: ReadonlyArray<Scene | undefined> | undefined,
): CaptionReward {
  const cider = new CiderDReward(references);
  if (config.reward === 'CIDEr') return cider;
  const missing = scenes ? scenes.findIndex((s) => s === undefined) : 0;
  if (!scenes || scenes.length !== references.length || missing >= 0)
    throw new ConfigError(
      `training.selfCritical.reward: 'CIDEr+grounding' needs a scene for every training image (a shapes data set); ${
        scenes ? `training image ${missing} has none` : 'this data set has none'
      }`,
    );
  return {
    score: (image, words) =>
      cider.score(image, words) + config.groundingWeight * groundingScore(words, scenes[image]!),
  };
}

/**
 * The validation scorer of `training.validation.metric: 'grounding'`: coco-caption's scores plus
 * `grounding`, the mean `groundingScore` of the captions against their images' scenes. Validation keys
 * captions by image id; an image without a scene is refused by name.
 */
export function groundingValidationScorer(scenes: ReadonlyMap<string, Scene | undefined>): CaptionScorer {
  return (input, options) => {
    const result = scoreCaptions(input, options);
    let sum = 0;
    const ids = Object.keys(input.cands);
    for (const id of ids) {
      const scene = scenes.get(id);
      if (!scene)
        throw new ConfigError(
          `training.validation.metric: 'grounding' needs a scene for every validation image (a shapes data set); image ${id} has none`,
        );
      sum += groundingScore(input.cands[id].split(' '), scene);
    }
    return { ...result, corpus: { ...result.corpus, grounding: ids.length > 0 ? sum / ids.length : 0 } };
  };
}
