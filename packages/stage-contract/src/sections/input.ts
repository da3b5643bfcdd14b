import { z } from 'zod';

/**
 * How training reads its data (`training.input`): feature shards stream through memory a few at a time,
 * so memory is bounded by these settings, never by the size of the data set.
 */
export const inputSettingsSchema = z.strictObject({
  /**
   * Shards read ahead of the one training needs next (each held whole while it waits: about
   * `shardSize` x feature bytes per image). @defaultValue 2
   */
  prefetchShards: z.number().int().min(0).max(64).default(2),
  /**
   * Captions in the shuffle buffer: shards are read in a seeded order, their captions enter the buffer and
   * batches draw from it at random (seeded). Larger shuffles better and holds the features of up to
   * `shuffleBuffer` + one shard's captions' images in memory. @defaultValue 2048
   */
  shuffleBuffer: z.number().int().positive().default(2048),
  /**
   * Training images (the first ones, in shard order) whose features give the decoder's per-channel
   * normalisation statistics; read once, streamed. @defaultValue 4096
   */
  normImages: z.number().int().positive().default(4096),
  /**
   * How feature extraction stores the spatial grid, which only attention decoders (and fine-tuning) read;
   * without them no grid is stored at all. `float16` halves its disk, I/O and memory (effect on scores:
   * packages/training/README.md). @defaultValue 'float32'
   */
  gridDtype: z.enum(['float32', 'float16']).default('float32'),
});
export type InputSettings = z.infer<typeof inputSettingsSchema>;
