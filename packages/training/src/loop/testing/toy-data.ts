import { END_ID, PAD_ID, START_ID, SeededRandom } from '@captioner/model';
import type { InMemoryTrainingData } from '../types';

/**
 * A toy captioning data set for tests: each image has a colour and a shape (and, for grid features, a side),
 * encoded in its features through a fixed random projection plus noise; its caption names them.
 */
export function toyCaptionData(options: {
  images: number;
  valImages: number;
  seed: number;
  gridPositions?: number;
  channels?: number;
}): InMemoryTrainingData & { words: string[] } {
  const colours = ['red', 'green', 'blue'];
  const shapes = ['circle', 'square', 'triangle'];
  const sides = ['left', 'right'];
  const words = ['<pad>', '<start>', '<end>', '<unk>', 'a', ...colours, ...shapes, 'on', 'the', ...sides];
  const id = (w: string) => words.indexOf(w);
  const C = options.channels ?? 16;
  const G = options.gridPositions ?? 4;
  const random = new SeededRandom(options.seed);
  const attributes = colours.length + shapes.length + sides.length;
  const projection = Float32Array.from({ length: attributes * C }, () => random.normal());
  const make = (n: number) => {
    const pooled = new Float32Array(n * C);
    const grid = new Float32Array(n * G * C);
    const captions: number[][] = [];
    for (let i = 0; i < n; i++) {
      const colour = Math.floor(random.next() * colours.length);
      const shape = Math.floor(random.next() * shapes.length);
      const side = Math.floor(random.next() * sides.length);
      const active = [colour, colours.length + shape, colours.length + shapes.length + side];
      for (let g = 0; g < G; g++) {
        // The object sits in the grid positions of its side; the other positions hold only noise.
        const occupied = g < G / 2 === (side === 0);
        for (let c = 0; c < C; c++) {
          let v = 0.1 * random.normal();
          if (occupied) for (const a of active.slice(0, 2)) v += projection[a * C + c];
          grid[(i * G + g) * C + c] = v;
        }
      }
      for (let c = 0; c < C; c++) {
        let v = 0;
        for (let g = 0; g < G; g++) v += grid[(i * G + g) * C + c];
        pooled[i * C + c] = v / G + 0.5 * projection[active[2] * C + c];
      }
      captions.push([id('a'), id(colours[colour]), id(shapes[shape]), id('on'), id('the'), id(sides[side])]);
    }
    return { pooled, grid, captions };
  };
  const train = make(options.images);
  const val = make(options.valImages);
  const T = 8;
  const tokens = new Int32Array(options.images * T).fill(PAD_ID);
  train.captions.forEach((c, i) => tokens.set([START_ID, ...c, END_ID], i * T));
  return {
    words,
    vocabSize: words.length,
    featureShape: { pooledSize: C, gridPositions: G, gridChannels: C },
    train: {
      pooled: train.pooled,
      grid: train.grid,
      images: options.images,
      captions: tokens,
      captionLength: T,
      captionImage: Int32Array.from({ length: options.images }, (_, i) => i),
    },
    val: {
      pooled: val.pooled,
      grid: val.grid,
      images: options.valImages,
      references: val.captions.map((c) => [c.map((w) => words[w]).join(' ')]),
    },
    decodeTokens: (ids) => ids.map((w) => words[w] ?? '<unk>').join(' '),
  };
}

/** Fraction of candidates equal to one of their references: a simple validation metric for tests. */
export function exactMatchScorer(input: { refs: Record<string, string[]>; cands: Record<string, string> }): {
  corpus: Record<string, number>;
} {
  const ids = Object.keys(input.cands);
  const hits = ids.filter((id) => input.refs[id].includes(input.cands[id])).length;
  const value = ids.length ? hits / ids.length : 0;
  return { corpus: { CIDEr: value, Bleu_4: value } };
}
