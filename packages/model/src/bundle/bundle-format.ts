import { z } from 'zod';
import { decodingSettingsSchema, featureShapeSchema, savedModelConfigSchema } from '../config';

/** Name of the bundle's manifest file. */
export const BUNDLE_FILE = 'bundle.json';
export const BUNDLE_FORMAT = 'captioner-model-bundle';

/** One float32 array inside `decoder/weights.bin` (little-endian, back to back). */
const weightEntrySchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  offset: z.number().int().nonnegative(),
});

/**
 * `bundle.json`: self-describing and forward-compatible. Readers check `format` and `formatVersion` (a
 * later Captioner reads version 1 bundles; unknown fields are ignored), then every file's SHA-256.
 */
export const bundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(1),
  createdAt: z.string(),
  config: savedModelConfigSchema,
  featureShape: featureShapeSchema,
  vocabSize: z.number().int().positive(),
  /** Training step of the exported checkpoint, for provenance. */
  step: z.number().int().nonnegative(),
  /** Decoder arrays in `decoder/weights.bin` (`decoder/<param>` and `norm/<stat>`). */
  decoderWeights: z.array(weightEntrySchema),
  /**
   * How the exporting run decoded (its `evaluation` settings): what `caption --model` uses unless told
   * otherwise. Absent from bundles written before it existed (then: the schema's defaults).
   */
  decoding: decodingSettingsSchema.optional(),
  /** Every file of the bundle (paths relative to it, `/`-separated) with its SHA-256 in hex. */
  files: z.record(z.string(), z.string().length(64)),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;
