import type { Vocabulary } from '@captioner/dataset';
import type { PreprocessSettings } from '@captioner/stage-contract';
import type { FineTuneAugment } from './batch-plan';
import { augmentsImages } from '@captioner/feature-extraction';
import { tokenSideSwap } from '@captioner/feature-extraction';

/** The vocabulary's words by id (`<pad>` ... in id order). */
export function vocabularyWords(vocabulary: Vocabulary): string[] {
  return Array.from({ length: vocabulary.size }, (_, id) => vocabulary.wordOf(id) ?? '');
}

/** A run's fine-tuning augmentation from its `preprocess` section; undefined when it is off. */
export function fineTuneAugment(
  preprocess: PreprocessSettings,
  vocabulary: Vocabulary,
): FineTuneAugment | undefined {
  if (!augmentsImages(preprocess.augment)) return undefined;
  return {
    settings: preprocess.augment,
    mean: preprocess.mean,
    std: preprocess.std,
    mirrorCaption: tokenSideSwap(vocabularyWords(vocabulary)),
  };
}
