import * as tf from '@tensorflow/tfjs';
import { SeededRandom, deriveSeed } from '@captioner/model';
import type { AugmentSettings } from '@captioner/stage-contract';

/** ITU-R BT.601 luma weights, as torchvision's `rgb_to_grayscale` (contrast and saturation use it). */
const LUMA = [0.299, 0.587, 0.114];

/** What one image of a batch gets: a crop box, a mirror, and brightness/contrast/saturation factors. */
export interface AugmentDraw {
  /** [y1, x1, y2, x2] in [0, 1], as `tf.image.cropAndResize` takes it. */
  box: [number, number, number, number];
  flip: boolean;
  /** [brightness, contrast, saturation]; 1 leaves the colour alone. */
  jitter: [number, number, number];
}

/** How the images were normalised (shard `mean`/`std` on [0, 1] values): jitter works on [0, 1] colours. */
export interface PixelNorm {
  mean: readonly number[];
  std: readonly number[];
}

/** Whether any per-image transform is on (views only matter to the frozen encoder). */
export function augmentsImages(settings: AugmentSettings): boolean {
  return settings.horizontalFlip || settings.colorJitter > 0 || settings.cropScale < 1;
}

/** Seed of batch `index` of `epoch`: the run seed and the position only, so a resumed run draws the same. */
export function batchAugmentRandom(seed: number, epoch: number, index: number): SeededRandom {
  return new SeededRandom(deriveSeed(seed, 0xa09, epoch, index));
}

/**
 * One image's draw. It always consumes seven values in a fixed order (flip, crop side, crop y, crop x,
 * brightness, contrast, saturation), so turning one transform on or off does not shift the others.
 */
export function drawAugment(settings: AugmentSettings, rng: () => number): AugmentDraw {
  const flipDraw = rng();
  const side = settings.cropScale + (1 - settings.cropScale) * rng();
  const y = (1 - side) * rng();
  const x = (1 - side) * rng();
  const j = settings.colorJitter;
  const factor = (u: number) => 1 - j + 2 * j * u;
  const jitter: [number, number, number] = [factor(rng()), factor(rng()), factor(rng())];
  return {
    box: settings.cropScale < 1 ? [y, x, y + side, x + side] : [0, 0, 1, 1],
    flip: settings.horizontalFlip && flipDraw < 0.5,
    jitter: j > 0 ? jitter : [1, 1, 1],
  };
}

/**
 * Applies the draws to a batch of normalised images [B, S, S, 3] with tfjs ops: crop and bilinear resize
 * (`cropAndResize`), mirror (`flipLeftRight`), then colour jitter on [0, 1] colours (brightness, contrast
 * towards the image's mean grey, saturation towards each pixel's grey, each clamped as torchvision does).
 * Returns a new tensor; the caller disposes both.
 */
export function augmentImages(
  images: tf.Tensor4D,
  draws: readonly AugmentDraw[],
  norm: PixelNorm,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W] = images.shape;
    let x: tf.Tensor4D = images;
    if (draws.some((d) => d.box.some((v, i) => v !== (i < 2 ? 0 : 1)))) {
      const boxes = tf.tensor2d(
        draws.flatMap((d) => d.box),
        [B, 4],
      );
      const boxInd = tf.tensor1d(
        Array.from({ length: B }, (_, b) => b),
        'int32',
      );
      x = tf.image.cropAndResize(x, boxes, boxInd, [H, W], 'bilinear');
    }
    if (draws.some((d) => d.flip)) {
      // Picks each row from the plain or the mirrored batch: exact values either way.
      const both = tf.concat([x, tf.image.flipLeftRight(x)]);
      x = tf.gather(
        both,
        draws.map((d, b) => (d.flip ? B + b : b)),
      ) as tf.Tensor4D;
    }
    if (draws.some((d) => d.jitter.some((f) => f !== 1))) x = jitterColours(x, draws, norm);
    return x;
  });
}

function jitterColours(x: tf.Tensor4D, draws: readonly AugmentDraw[], norm: PixelNorm): tf.Tensor4D {
  const B = x.shape[0];
  const mean = tf.tensor1d([...norm.mean]);
  const std = tf.tensor1d([...norm.std]);
  const factor = (k: number) =>
    tf.tensor4d(
      draws.map((d) => d.jitter[k]),
      [B, 1, 1, 1],
    );
  const luma = (v: tf.Tensor4D) => tf.sum(tf.mul(v, tf.tensor1d(LUMA)), 3, true);
  let v = tf.add(tf.mul(x, std), mean) as tf.Tensor4D;
  v = tf.clipByValue(tf.mul(v, factor(0)), 0, 1) as tf.Tensor4D;
  const meanGrey = tf.mean(luma(v), [1, 2, 3], true);
  v = tf.clipByValue(tf.add(meanGrey, tf.mul(factor(1), tf.sub(v, meanGrey))), 0, 1) as tf.Tensor4D;
  const grey = luma(v);
  v = tf.clipByValue(tf.add(grey, tf.mul(factor(2), tf.sub(v, grey))), 0, 1) as tf.Tensor4D;
  return tf.div(tf.sub(v, mean), std) as tf.Tensor4D;
}
