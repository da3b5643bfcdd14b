import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@captioner/model';
import { AUGMENT_OFF } from '@captioner/stage-contract';
import {
  augmentImages,
  augmentsImages,
  batchAugmentRandom,
  drawAugment,
} from '@captioner/feature-extraction';
import { planBatchAugment } from './batch-plan';
import { swapSideWords, tokenSideSwap } from '@captioner/feature-extraction';

beforeAll(async () => {
  await initBackend('wasm');
});

const S = 8;
const norm = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
/** B images of distinct normalised values in [-2, 2]. */
const batch = (B: number) =>
  tf.tensor4d(
    Float32Array.from({ length: B * S * S * 3 }, (_, i) => ((i * 37) % 97) / 24.25 - 2),
    [B, S, S, 3],
  );
const on = { ...AUGMENT_OFF, horizontalFlip: true, colorJitter: 0.4, cropScale: 0.6 };

function augmented(settings: typeof on, seed: number, index: number, B = 4): Float32Array {
  const rng = batchAugmentRandom(seed, 0, index).next;
  const draws = Array.from({ length: B }, () => drawAugment(settings, rng));
  const images = batch(B);
  const out = augmentImages(images, draws, norm);
  const values = out.dataSync() as Float32Array;
  tf.dispose([images, out]);
  return values;
}

describe('image augmentation (tfjs ops)', () => {
  it('is off by default and then leaves every image as it was', () => {
    expect(augmentsImages(AUGMENT_OFF)).toBe(false);
    const plain = batch(4).dataSync();
    expect(augmented(AUGMENT_OFF as unknown as typeof on, 1, 0)).toEqual(plain);
  });

  it('a flip mirrors the columns exactly (and only of the flipped image)', () => {
    const images = batch(2);
    const keep = {
      box: [0, 0, 1, 1] as [number, number, number, number],
      flip: false,
      jitter: [1, 1, 1] as [number, number, number],
    };
    const out = augmentImages(images, [{ ...keep, flip: true }, keep], norm);
    const a = images.arraySync();
    const b = out.arraySync();
    expect(b[0]).toEqual(a[0].map((row) => [...row].reverse()));
    expect(b[1]).toEqual(a[1]);
    tf.dispose([images, out]);
  });

  it('crop, flip and jitter on: different from the input, the same for the same seed and batch, different for another batch', () => {
    const plain = batch(4).dataSync();
    const first = augmented(on, 7, 3);
    expect(first).not.toEqual(plain);
    expect(augmented(on, 7, 3)).toEqual(first);
    expect(augmented(on, 7, 4)).not.toEqual(first);
    expect(augmented(on, 8, 3)).not.toEqual(first);
    // Normalised colours stay within what [0, 1] colours give.
    expect(Math.min(...first)).toBeGreaterThanOrEqual(-2 - 1e-5);
    expect(Math.max(...first)).toBeLessThanOrEqual(2 + 1e-5);
  });

  it('draws the same crop whether or not flips and jitter are on (fixed draw order)', () => {
    const a = drawAugment({ ...AUGMENT_OFF, cropScale: 0.5 }, batchAugmentRandom(1, 2, 3).next);
    const b = drawAugment({ ...on, cropScale: 0.5 }, batchAugmentRandom(1, 2, 3).next);
    expect(a.box).toEqual(b.box);
    expect(a.box[2] - a.box[0]).toBeGreaterThanOrEqual(0.5);
  });
});

describe('caption-aware flips', () => {
  it('swaps side words both ways and refuses a caption whose counterpart is unknown', () => {
    expect(swapSideWords('a red circle left of the rightmost square'.split(' '))).toEqual(
      'a red circle right of the leftmost square'.split(' '),
    );
    expect(swapSideWords(['the', 'leftmost', 'dog'], (w) => w !== 'rightmost')).toBeNull();
  });

  it('mirrors the captions of flipped rows, and does not flip a row it cannot mirror', () => {
    const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', 'circle', 'left', 'of', 'right', 'leftmost'];
    const id = (w: string) => words.indexOf(w);
    const T = 6;
    const rows = [
      ['<start>', 'a', 'circle', 'left', 'of', '<end>'],
      ['<start>', 'the', 'leftmost', 'circle', '<end>', '<pad>'].map((w) =>
        words.includes(w) ? w : '<unk>',
      ),
    ];
    const captions = Int32Array.from(rows.flatMap((r) => r.map(id)));
    const mirror = tokenSideSwap(words);
    const settings = { ...AUGMENT_OFF, horizontalFlip: true };
    // Find a batch whose draws flip both rows.
    let index = 0;
    while (
      !(() => {
        const rng = batchAugmentRandom(5, 0, index).next;
        return drawAugment(settings, rng).flip && drawAugment(settings, rng).flip;
      })()
    )
      index++;
    const draws = planBatchAugment({ ...norm, settings, mirrorCaption: mirror }, captions, T, 5, 0, index);
    expect(draws.map((d) => d.flip)).toEqual([true, false]);
    expect(Array.from(captions.subarray(0, T), (i) => words[i])).toEqual([
      '<start>',
      'a',
      'circle',
      'right',
      'of',
      '<end>',
    ]);
    expect(Array.from(captions.subarray(T), (i) => words[i])).toEqual(rows[1]);
  });
});
