import { z } from 'zod';
import { mulberry32 } from '@captioner/core';
import { scoreCaptions } from './score-captions';
import type { CaptionSet } from './score-captions';

/** Options of `captioner bench score`. */
export const benchScoreOptionsSchema = z.object({
  /** Number of images in the synthetic set. @defaultValue 5000 (COCO's Karpathy test split) */
  images: z.number().int().positive().default(5000),
  /** References per image. @defaultValue 5 (as in COCO) */
  refsPerImage: z.number().int().positive().default(5),
  /** Seed of the generator: the same seed gives the same captions. @defaultValue 1 */
  seed: z.number().int().default(1),
});
export type BenchScoreOptions = z.input<typeof benchScoreOptionsSchema>;

export interface BenchScoreResult {
  images: number;
  /** Wall-clock seconds of `scoreCaptions`. */
  seconds: number;
  /** CPU seconds of the process (user + system, every thread: GC and JIT helpers included) meanwhile. */
  cpuSeconds: number;
  imagesPerSecond: number;
}

const SUBJECTS = [
  'A man',
  'A woman',
  'Two dogs',
  'A black cat',
  'A group of people',
  'A young boy',
  'An old truck',
  'A grey horse',
];
const VERBS = [
  'riding',
  'sitting on',
  'standing next to',
  'holding',
  'eating',
  'looking at',
  "isn't near",
  'walking past',
];
const OBJECTS = [
  'a red bus',
  'a wooden table',
  'the beach',
  'a pizza',
  'a surfboard',
  'a snowy field',
  'the kitchen counter',
  'a frisbee',
];
const TAILS = [
  '.',
  ' in the park.',
  ', smiling!',
  ' (at night).',
  ' on a sunny day',
  ' with a "friend".',
  '...',
  ' near the 2 trees.',
];

/** Deterministic 32-bit generator (mulberry32), so that runs are comparable. */
const generator = mulberry32;

/** Synthetic COCO-like captions: refs and one candidate per image, with punctuation and case to tokenize. */
export function syntheticCaptionSet(images: number, refsPerImage: number, seed: number) {
  const random = generator(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const caption = () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}${pick(TAILS)}`;
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  for (let i = 0; i < images; i++) {
    const id = String(100000 + i);
    refs[id] = Array.from({ length: refsPerImage }, caption);
    cands[id] = caption();
  }
  return { refs, cands };
}

/** Times `scoreCaptions` (tokenization included) on a synthetic set; generation is not timed. */
export function benchScore(options: BenchScoreOptions = {}): BenchScoreResult {
  const { images, refsPerImage, seed } = benchScoreOptionsSchema.parse(options);
  // Round-tripped through JSON, the captions are what `captioner score` gets from a score file:
  // flat strings, not the concatenation trees that building them with templates leaves.
  const set = JSON.parse(JSON.stringify(syntheticCaptionSet(images, refsPerImage, seed))) as CaptionSet;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  scoreCaptions(set);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  return { images, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, imagesPerSecond: images / seconds };
}
