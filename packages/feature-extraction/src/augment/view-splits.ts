import { buildVocabulary, readManifest, splitItems } from '@captioner/dataset';
import type { VocabularyOptions } from '@captioner/dataset';
import { tokenSideSwap } from './side-swap';

/**
 * Which images of a run get augmented views (the train split) and which may be flipped: those whose
 * training captions can all be mirrored within the run's vocabulary (built here exactly as the train stage
 * builds it: from the manifest's train captions and the run's vocabulary options).
 */
export async function viewSplits(
  manifestPath: string,
  vocabularyOptions: VocabularyOptions,
): Promise<{ augmented: (id: string) => boolean; mayFlip: (id: string) => boolean }> {
  const manifest = await readManifest(manifestPath);
  const vocabulary = buildVocabulary(manifest, vocabularyOptions);
  const words = Array.from({ length: vocabulary.size }, (_, id) => vocabulary.wordOf(id) ?? '');
  const mirror = tokenSideSwap(words);
  const train = new Map(splitItems(manifest, 'train').map((item) => [item.id, item.captions]));
  return {
    augmented: (id) => train.has(id),
    mayFlip: (id) =>
      (train.get(id) ?? []).every((caption) => mirror(Int32Array.from(vocabulary.encode(caption))) !== null),
  };
}
