import type { AugmentSettings } from '@captioner/stage-contract';
import { batchAugmentRandom, drawAugment } from '@captioner/feature-extraction';
import type { AugmentDraw, PixelNorm } from '@captioner/feature-extraction';

/** Fine-tuning augmentation: the settings, the images' normalisation and the caption mirror of the vocabulary. */
export interface FineTuneAugment extends PixelNorm {
  settings: AugmentSettings;
  /** Mirrored caption ids, or null when the caption cannot be mirrored safely (`tokenSideSwap`). */
  mirrorCaption: (ids: Int32Array) => Int32Array | null;
}

/**
 * The draws of batch `index` of `epoch` (one per caption row, from the run seed and the position only),
 * with the captions of flipped rows mirrored in place in `captions` [B, T]. A row whose caption cannot be
 * mirrored keeps its image unflipped (its other transforms still apply).
 */
export function planBatchAugment(
  augment: FineTuneAugment,
  captions: Int32Array,
  captionLength: number,
  seed: number,
  epoch: number,
  index: number,
): AugmentDraw[] {
  const rng = batchAugmentRandom(seed, epoch, index).next;
  const B = captions.length / captionLength;
  const draws: AugmentDraw[] = [];
  for (let b = 0; b < B; b++) {
    const draw = drawAugment(augment.settings, rng);
    if (draw.flip) {
      const row = captions.subarray(b * captionLength, (b + 1) * captionLength);
      const mirrored = augment.mirrorCaption(row);
      if (mirrored) row.set(mirrored);
      else draw.flip = false;
    }
    draws.push(draw);
  }
  return draws;
}
