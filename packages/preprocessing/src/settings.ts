import { ConfigError } from '@captioner/core';
import { z } from 'zod';

/**
 * ImageNet statistics (per channel, on values in [0, 1]); the encoders are ResNets trained on ImageNet.
 * Same values as `IMAGENET_MEAN`/`IMAGENET_STD` of @captioner/dataset, kept here so the schema owns its defaults.
 */
const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

export const augmentSettingsSchema = z.object({
  /**
   * Mirror the image left-right with probability 1/2. Turn it off for data sets whose captions
   * name sides ("on the left").
   * @defaultValue false
   */
  horizontalFlip: z.boolean().default(false),
  /**
   * Strength j of random brightness, contrast and saturation changes: each factor is drawn from
   * [1 - j, 1 + j] (as torchvision's `ColorJitter(j, j, j)`). 0 turns it off; turn it off for data
   * sets whose captions name colours.
   * @defaultValue 0
   */
  colorJitter: z.number().min(0).max(1).default(0),
});

/**
 * How images become shard pixels. Parsed once from the run config; every field has its default here.
 * `resizeShorterTo` defaults to `round(imageSize * 256 / 224)`, the usual ImageNet ratio (256 for 224).
 */
export const preprocessSettingsSchema = z
  .object({
    /**
     * Side of the square output image, in pixels.
     * @defaultValue 224
     */
    imageSize: z.number().int().min(8).max(4096).default(224),
    /**
     * The shorter side is resized to this before the centre crop of `imageSize`.
     * @defaultValue round(imageSize * 256 / 224)
     */
    resizeShorterTo: z.number().int().positive().optional(),
    /**
     * Per-channel mean, on values in [0, 1]; recorded in the shard and applied on read.
     * @defaultValue ImageNet [0.485, 0.456, 0.406]
     */
    mean: rgbTriple.default(IMAGENET_MEAN),
    /**
     * Per-channel standard deviation, on values in [0, 1].
     * @defaultValue ImageNet [0.229, 0.224, 0.225]
     */
    std: rgbTriple.refine((s) => s.every((v) => v > 0), 'std values must be positive').default(IMAGENET_STD),
    /**
     * Training-time augmentation, applied by the trainer through `augmentPixels`, never stored in shards.
     * @defaultValue off
     */
    augment: augmentSettingsSchema.default({ horizontalFlip: false, colorJitter: 0 }),
    /**
     * Images with more pixels (width x height) are refused before decoding: decompression bombs.
     * @defaultValue 50 megapixels
     */
    maxInputPixels: z.number().int().positive().default(50_000_000),
    /**
     * Files larger than this are refused without being read.
     * @defaultValue 50 MB
     */
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(50 * 1024 * 1024),
  })
  .transform((s) => ({ ...s, resizeShorterTo: s.resizeShorterTo ?? Math.round((s.imageSize * 256) / 224) }))
  .refine((s) => s.resizeShorterTo >= s.imageSize, {
    message: 'resizeShorterTo must be at least imageSize',
    path: ['resizeShorterTo'],
  });

export type PreprocessSettings = z.output<typeof preprocessSettingsSchema>;
/** Settings as written in a run config: every field optional. */
export type PreprocessSettingsInput = z.input<typeof preprocessSettingsSchema>;
export type AugmentSettings = PreprocessSettings['augment'];

/** The defaults: 224 px, shorter side 256, ImageNet normalization, no augmentation. */
export const DEFAULT_PREPROCESS_SETTINGS: PreprocessSettings = preprocessSettingsSchema.parse({});

/** Parses settings from a run config; throws ConfigError naming the first bad field. */
export function parsePreprocessSettings(input: unknown = {}): PreprocessSettings {
  const parsed = preprocessSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`preprocess settings: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}
