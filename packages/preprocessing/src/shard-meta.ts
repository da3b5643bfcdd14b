import { z } from 'zod';

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

export const failedImageSchema = z.object({
  id: z.string(),
  path: z.string(),
  /** One line: the file and what is wrong with it. */
  error: z.string(),
  /** True when the file does not exist (absent in shards written before it was recorded: unreadable). */
  missing: z.boolean().optional(),
});
export type FailedImage = z.infer<typeof failedImageSchema>;

/**
 * The `meta` of a shard written by preprocessShard. `size`, `mean` and `std` are what `readImageShard`
 * of @captioner/dataset reads; the rest lets a re-run decide whether the shard is already complete.
 */
export const shardMetaSchema = z.object({
  size: z.number().int().positive(),
  mean: rgbTriple,
  std: rgbTriple,
  /** The decode rules version and the settings that shape the pixels. */
  preprocess: z.object({
    rulesVersion: z.number().int(),
    imageSize: z.number().int(),
    resizeShorterTo: z.number().int(),
    maxInputPixels: z.number().int(),
    maxFileBytes: z.number().int(),
    /** Absent: lanczos3 (the default, and the only kernel before the setting existed). */
    resizeKernel: z.string().optional(),
  }),
  /** SHA-256 of the requested (id, path) list, in order. */
  itemsSha256: z.string().length(64),
  /** Requested images left out of the shard, with the reason. */
  failed: z.array(failedImageSchema),
});
export type ShardMeta = z.infer<typeof shardMetaSchema>;
