import { z } from 'zod';

// Strict objects: a misspelt key in a run config or checkpoint is refused by name, never dropped.

/** Image encoder settings. */
export const encoderConfigSchema = z.strictObject({
  /**
   * Architecture. `small-resnet` is a 3-stage basic-block ResNet for low-resolution inputs (32-128 px);
   * `resnet18`/`resnet34`/`resnet50` compute exactly what torchvision's do (their state dicts load, see
   * `weights`); `keras-resnet50` is keras.applications' ResNet50 v1 (its converted weights load).
   * @defaultValue 'small-resnet'
   */
  kind: z
    .enum(['small-resnet', 'resnet18', 'resnet34', 'resnet50', 'keras-resnet50'])
    .default('small-resnet'),
  /**
   * Filters of `small-resnet`'s first stage (each later stage doubles them); other kinds have their
   * fixed widths and refuse any other value. @defaultValue 32
   */
  width: z.number().int().min(4).max(512).default(32),
  /** Square input size in pixels. @defaultValue 64 */
  imageSize: z.number().int().min(16).max(1024).default(64),
  /** Fine-tune the last `trainableBlocks` residual blocks end to end (reads image shards). @defaultValue false */
  trainable: z.boolean().default(false),
  /** How many of the last residual blocks train when `trainable`. @defaultValue 1 */
  trainableBlocks: z.number().int().min(0).default(1),
  /**
   * Pretrained weights: a torchvision state dict (`.pth`/`.pt`/`.safetensors` file or URL) for
   * resnet18/34/50, or the directory or URL of a tfjs LayersModel (`model.json` + weight files, Keras
   * layer names) for the other kinds.
   */
  weights: z.string().optional(),
  /**
   * End the encoder in a cell head (encoder/cell-head.ts): the feature map averaged over each cell of a
   * `grid` x `grid` partition and classified into `classes` by a linear layer and a softmax; the encoder's
   * features are then those [grid * grid, classes] probabilities. Its classifier is trained by encoder
   * pretraining (`captioner demo` pretrains one for the shapes' 3 x 3 scene cells) and loaded with
   * `weights` (a tfjs LayersModel directory: a state dict has no head). Unset: the feature map itself.
   */
  cellHead: z
    .strictObject({
      grid: z.number().int().min(1).max(16),
      classes: z.number().int().min(2).max(4096),
    })
    .optional(),
});
export type EncoderConfig = z.infer<typeof encoderConfigSchema>;

/** Caption decoder settings. */
export const decoderConfigSchema = z.strictObject({
  /** Recurrent cell. @defaultValue 'lstm' */
  cell: z.enum(['lstm', 'gru']).default('lstm'),
  /** Word embedding size. @defaultValue 128 */
  embeddingSize: z.number().int().positive().default(128),
  /** Recurrent state size. @defaultValue 256 */
  hiddenSize: z.number().int().positive().default(256),
  /** Soft attention over the encoder's spatial grid (Show, Attend and Tell). @defaultValue true */
  attention: z.boolean().default(true),
  /**
   * Fixed position channels appended to every grid position's (standardised) features before attention:
   * `coordinates` adds the position's column and row (centred, unit variance), so that both where the
   * decoder looks (the attention keys) and what it sees there (the context) say where; `none` gives
   * attention the features only, which carry no position (checkpoints and bundles written before this
   * key existed read as `none`, see `savedModelConfigSchema`). @defaultValue 'coordinates'
   */
  positionEncoding: z.enum(['none', 'coordinates']).default('coordinates'),
  /**
   * Attention models: the step's (gated) context also reaches the output layer directly, projected to the
   * hidden size and added to the hidden state before it (the "deep output" of Show, Attend and Tell, eq.
   * 7), so that a word can depend on what the decoder sees now without passing through the cell's gates.
   * @defaultValue false
   */
  contextToOutput: z.boolean().default(false),
  /**
   * Attention models with `positionEncoding: 'coordinates'`: each step also reads how far its attention
   * moved since the previous step (the attended coordinates, now minus before), in the cell's input and,
   * with `contextToOutput`, in the output layer's. A relation word ("left of", "above") is then a linear
   * read of where the decoder looks now (the object) against where it looked (the subject). @defaultValue false
   */
  attentionShift: z.boolean().default(false),
  /**
   * Attention models: each step reads one grid position, the one its attention weighs most, instead of
   * the weighted mean. In training, a word with an attention target (`training.attentionSupervision`)
   * reads its target instead (attention is teacher-forced like the words), and attention learns from the
   * supervision and, straight through the choice, from the words. A relation word is then read from the
   * object the decoder chose, not from a blend of the objects it might choose. @defaultValue false
   */
  hardAttention: z.boolean().default(false),
  /** Size of the attention MLP. @defaultValue 128 */
  attentionSize: z.number().int().positive().default(128),
  /** Dropout rate on the hidden state before the output layer (training only). @defaultValue 0.2 */
  dropout: z.number().min(0).max(0.9).default(0.2),
  /** Longest caption decoded, in words, `<end>` excluded. @defaultValue 20 */
  maxLength: z.number().int().positive().default(20),
});
export type DecoderConfig = z.infer<typeof decoderConfigSchema>;

/** The whole model: written into every checkpoint and bundle so that they are self-describing. */
export const modelConfigSchema = z.strictObject({
  encoder: encoderConfigSchema.default(() => encoderConfigSchema.parse({})),
  decoder: decoderConfigSchema.default(() => decoderConfigSchema.parse({})),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/**
 * The model config as stored in checkpoints and bundles: where a key's default changed after artifacts
 * were written with it absent, a missing key means the old behaviour, so that old artifacts keep loading
 * (and meaning what they meant). `decoder.positionEncoding` absent is `none`.
 */
export const savedModelConfigSchema = z.preprocess((value) => {
  if (typeof value !== 'object' || value === null) return value;
  const config = value as { decoder?: unknown };
  const decoder = typeof config.decoder === 'object' && config.decoder !== null ? config.decoder : {};
  if ('positionEncoding' in decoder) return value;
  return { ...config, decoder: { ...decoder, positionEncoding: 'none' } };
}, modelConfigSchema);
export type ModelConfigInput = z.input<typeof modelConfigSchema>;

/** Shape of the features the decoder reads (written by the encoder, checked on load). */
export const featureShapeSchema = z.object({
  /** Length of the pooled feature vector. */
  pooledSize: z.number().int().positive(),
  /** Positions in the spatial grid (H*W). */
  gridPositions: z.number().int().nonnegative(),
  /** Channels per grid position. */
  gridChannels: z.number().int().nonnegative(),
});
export type FeatureShape = z.infer<typeof featureShapeSchema>;

/**
 * How captions are decoded: the run config's `evaluation` section, `eval`, `caption`, the API and the
 * bundle's defaults all use these fields. The defaults are those decoding had before they existed, so
 * scores recorded earlier are reproduced exactly.
 */
export const decodingSettingsSchema = z.strictObject({
  /** Beams per image; 1 is greedy decoding. @defaultValue 3 */
  beamSize: z.number().int().min(1).max(20).default(3),
  /** Beams ranked by logProb / length^lengthPenalty (0: by log-probability). @defaultValue 0 */
  lengthPenalty: z.number().min(0).max(5).default(0),
  /** Never repeat an n-gram of this many words within a caption; 0 allows repeats. @defaultValue 0 */
  noRepeatNgramSize: z.number().int().min(0).max(10).default(0),
  /** Longest caption in words; absent: the model's `decoder.maxLength`. */
  maxLength: z.number().int().min(1).max(100).optional(),
});
export type DecodingSettings = z.output<typeof decodingSettingsSchema>;
export type DecodingSettingsInput = z.input<typeof decodingSettingsSchema>;
