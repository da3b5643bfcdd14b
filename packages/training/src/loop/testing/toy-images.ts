import { END_ID, PAD_ID, START_ID, createEncoder } from '@captioner/model';
import type { ModelConfig } from '@captioner/model';
import { AUGMENT_OFF } from '@captioner/stage-contract';
import { tokenSideSwap } from '@captioner/feature-extraction';
import type { FineTuneInput, InMemoryTrainingData } from '../types';

const WORDS = [
  '<pad>',
  '<start>',
  '<end>',
  '<unk>',
  'a',
  'red',
  'blue',
  'square',
  'on',
  'the',
  'left',
  'right',
];

/** Normalised images [n, S, S, 3] of one red or blue square on the left or right, and their captions. */
function squares(count: number, offset: number, S: number): { images: Float32Array; captions: string[][] } {
  const images = new Float32Array(count * S * S * 3).fill(-1);
  const captions: string[][] = [];
  for (let i = 0; i < count; i++) {
    const colour = (i + offset) % 2;
    const side = Math.floor((i + offset) / 2) % 2;
    const x0 = side === 0 ? Math.floor(S / 8) : Math.floor((5 * S) / 8);
    for (let y = Math.floor(S / 3); y < Math.floor((2 * S) / 3); y++) {
      for (let x = x0; x < x0 + Math.floor(S / 4); x++) {
        const p = ((i * S + y) * S + x) * 3;
        images[p] = colour === 0 ? 1 : -1;
        images[p + 2] = colour === 0 ? -1 : 1;
      }
    }
    captions.push(['a', colour === 0 ? 'red' : 'blue', 'square', 'on', 'the', side === 0 ? 'left' : 'right']);
  }
  return { images, captions };
}

/**
 * Fine-tuning data for tests: square images, their captions and an encoder from `modelConfig` (seed 3),
 * with every augmentation on (flips mirror the captions' sides).
 */
export async function toyFineTuneData(
  modelConfig: ModelConfig,
  images: number,
  valImages: number,
): Promise<{ data: InMemoryTrainingData; fineTune: FineTuneInput }> {
  const S = modelConfig.encoder.imageSize;
  const encoder = await createEncoder(modelConfig.encoder, 3);
  const train = squares(images, 0, S);
  const val = squares(valImages, 1, S);
  const T = 8;
  const captions = new Int32Array(images * T).fill(PAD_ID);
  train.captions.forEach((c, i) =>
    captions.set([START_ID, ...c.map((w) => WORDS.indexOf(w)), END_ID], i * T),
  );
  return {
    data: {
      vocabSize: WORDS.length,
      featureShape: {
        pooledSize: encoder.pooledSize,
        gridPositions: encoder.gridPositions,
        gridChannels: encoder.gridChannels,
      },
      train: {
        pooled: new Float32Array(0),
        images,
        captions,
        captionLength: T,
        captionImage: Int32Array.from({ length: images }, (_, i) => i),
      },
      val: {
        pooled: new Float32Array(0),
        images: valImages,
        references: val.captions.map((c) => [c.join(' ')]),
      },
      decodeTokens: (ids) => ids.map((w) => WORDS[w] ?? '<unk>').join(' '),
    },
    fineTune: {
      encoder,
      trainImages: train.images,
      valImages: val.images,
      augment: {
        settings: { ...AUGMENT_OFF, horizontalFlip: true, colorJitter: 0.3, cropScale: 0.7 },
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
        mirrorCaption: tokenSideSwap(WORDS),
      },
    },
  };
}
