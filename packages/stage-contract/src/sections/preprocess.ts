import { z } from 'zod';
import { IMAGENET_MEAN, IMAGENET_STD } from '@captioner/core';

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

/** sharp's resize kernels that `preprocess.resizeKernel` accepts. */
export const RESIZE_KERNELS = ['lanczos3', 'linear', 'cubic', 'mitchell', 'nearest'] as const;

export const augmentSettingsSchema = z.strictObject({
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
  /**
   * Random crop and scale: the crop's side is drawn from [cropScale, 1] of the image's side, at a random
   * place, and resized back to `imageSize` (bilinear). 1 turns it off.
   * @defaultValue 1
   */
  cropScale: z.number().min(0.25).max(1).default(1),
  /**
   * Frozen encoder only: feature views extracted per training image. View 0 is the plain image, views
   * 1..K-1 are augmented draws (flip, jitter, crop above); training reads one per image per epoch, drawn
   * from the run seed. 1 turns it off (fine-tuning augments every batch instead).
   * @defaultValue 1
   */
  views: z.number().int().min(1).max(16).default(1),
});

/** Augmentation off: what a run without `preprocess.augment` gets. */
export const AUGMENT_OFF = { horizontalFlip: false, colorJitter: 0, cropScale: 1, views: 1 } as const;

/**
 * The run config's `preprocess` section: how images become shard pixels. Every field has its default
 * here; in a run, `imageSize` defaults to `model.encoder.imageSize` (`resolveRunConfig`).
 * `resizeShorterTo` defaults to `round(imageSize * 256 / 224)`, the usual ImageNet ratio (256 for 224).
 */
export const preprocessSettingsSchema = z
  .strictObject({
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
     * sharp's resampling kernel for the resize. `linear` (libvips' antialiased triangle filter) gives what
     * torchvision's `Resize` computes on PIL images (antialiased bilinear): mean absolute difference
     * 0.08-0.22 of 255 on three photos, against 1.2-4.1 for `lanczos3` (packages/preprocessing README).
     * The `notebook` preset, for torchvision's pretrained weights, uses `linear`.
     * @defaultValue 'lanczos3'
     */
    resizeKernel: z.enum(RESIZE_KERNELS).default('lanczos3'),
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
     * Training-time augmentation, never applied to validation or test images: per batch when fine-tuning
     * (`model.encoder.trainable`), as `views` extracted feature views with a frozen encoder. Flips are
     * caption-aware (see packages/training README, "Augmentation").
     * @defaultValue off
     */
    augment: augmentSettingsSchema.default({ ...AUGMENT_OFF }),
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
