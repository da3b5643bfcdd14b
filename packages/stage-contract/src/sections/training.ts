import { z } from 'zod';
import { inputSettingsSchema } from './input';

/** Learning-rate schedule. */
export const lrDecaySchema = z.strictObject({
  /**
   * `step`: multiply by `factor` every `everyEpochs` epochs; `cosine`: cosine from the initial rate to
   * `factor` times it over all epochs; `none`: constant. @defaultValue 'step'
   */
  schedule: z.enum(['none', 'step', 'cosine']).default('step'),
  /** Decay factor. @defaultValue 0.8 */
  factor: z.number().positive().max(1).default(0.8),
  /** Epochs between decays (`step` only). @defaultValue 2 */
  everyEpochs: z.number().int().positive().default(2),
});

/** Scheduled sampling (Bengio et al. 2015): the chance of feeding the model its own prediction grows per epoch. */
export const scheduledSamplingSchema = z.strictObject({
  /** Off by default: plain teacher forcing. @defaultValue false */
  enabled: z.boolean().default(false),
  /** First epoch (0-based) that samples. @defaultValue 2 */
  startEpoch: z.number().int().nonnegative().default(2),
  /** Added to the probability every `everyEpochs` epochs. @defaultValue 0.05 */
  increase: z.number().min(0).max(1).default(0.05),
  /** @defaultValue 2 */
  everyEpochs: z.number().int().positive().default(2),
  /** Cap on the probability. @defaultValue 0.25 */
  max: z.number().min(0).max(1).default(0.25),
});

/** Model selection on captions the model really decodes (never teacher-forced outputs). */
export const validationSchema = z.strictObject({
  /**
   * What selects the best checkpoint and stops early: a coco-caption metric, or `grounding` (data sets
   * with scenes: shapes), the mean over validation images of how true the caption is to the scene (the
   * grounding score of the self-critical reward: +1 per object, relation or count stated right, −2 per
   * one stated wrong, over the scene's objects). @defaultValue 'CIDEr'
   */
  metric: z.enum(['CIDEr', 'Bleu_4', 'grounding']).default('CIDEr'),
  /** Beam size for validation decoding (1 = greedy, the cheapest). @defaultValue 1 */
  beamSize: z.number().int().positive().default(1),
  /** Validation images decoded per evaluation (the first N). @defaultValue 250 */
  maxImages: z.number().int().positive().default(250),
});

/**
 * Self-critical sequence training (Rennie et al. 2017), a phase after cross-entropy: from the best
 * cross-entropy checkpoint, captions sampled from the model are rewarded with their CIDEr-D against the
 * training references (document frequencies of the training split) and trained by policy gradient with
 * a baseline. Absent: no such phase.
 */
export const selfCriticalSchema = z
  .strictObject({
    /** Passes over the training images. @defaultValue 2 */
    epochs: z.number().int().positive().default(2),
    /** Captions sampled per image and step. @defaultValue 5 */
    samples: z.number().int().min(1).max(20).default(5),
    /**
     * `mean`: a sample's baseline is the mean reward of the image's other samples ("new self-critical",
     * Luo 2020); `greedy`: the reward of the greedy caption (Rennie et al.). @defaultValue 'mean'
     */
    baseline: z.enum(['greedy', 'mean']).default('mean'),
    /**
     * The reward: `CIDEr` (CIDEr-D against the training references), or `CIDEr+grounding`, which adds
     * `groundingWeight` × how true the caption is to the image's scene (data sets with scenes only: shapes;
     * see packages/training/README.md for the formula). @defaultValue 'CIDEr'
     */
    reward: z.enum(['CIDEr', 'CIDEr+grounding']).default('CIDEr'),
    /** With `reward: 'CIDEr+grounding'`: the weight of the grounding term. @defaultValue 1 */
    groundingWeight: z.number().nonnegative().default(1),
    /**
     * Weight of a teacher-forced cross-entropy term on one training caption per image and step, added to
     * the policy-gradient loss (the "mixed objective" of Paulus et al. 2018): it keeps the phrasing of the
     * training captions (their diversity) while the reward sharpens the model. 0: self-critical only.
     * @defaultValue 0
     */
    crossEntropyWeight: z.number().nonnegative().default(0),
    /** Adam step size of this phase (constant). @defaultValue 0.0001 */
    learningRate: z.number().positive().default(0.0001),
    /** Images per step (each sampled `samples` times). @defaultValue 16 */
    batchSize: z.number().int().positive().default(16),
    /** Training images per epoch, the first N of each epoch's order (0 = all). @defaultValue 0 */
    imagesPerEpoch: z.number().int().nonnegative().default(0),
  })
  .refine((s) => s.baseline !== 'mean' || s.samples >= 2, {
    message: 'the mean baseline needs samples >= 2',
    path: ['samples'],
  });
export type SelfCriticalConfig = z.output<typeof selfCriticalSchema>;

/** The run config's `training` section: every default written here, once. */
export const trainingConfigSchema = z.strictObject({
  /**
   * Passes over the training captions. 3 is the demo's: on the 1,500-image shapes set (6,000 training
   * captions, 188 steps an epoch) validation CIDEr-D is past 1.5 after the first epoch. @defaultValue 3
   */
  epochs: z.number().int().positive().default(3),
  /**
   * Captions per step, or `auto`: before the first step, the train stage probes the largest batch whose
   * peak memory fits `memoryBudgetMB` (see packages/training/README.md, "Batch size auto"); the choice
   * is recorded in `autoBatch`, and a resumed run keeps it. @defaultValue 32
   */
  batchSize: z.union([z.number().int().positive(), z.literal('auto')]).default(32),
  /**
   * Memory a training step may use at its peak (MB, tensors as tfjs counts them: weights, optimizer
   * state, activations and gradients), for `batchSize: 'auto'`. Absent: 60 % of the GPU's memory on
   * tfjs-node-gpu, 25 % of the machine's memory elsewhere, at most 2048 MB on wasm (a 4 GB heap).
   */
  memoryBudgetMB: z.number().positive().optional(),
  /**
   * Written by the train stage when `batchSize` is `auto` (never set it by hand): the batch it chose, the
   * peak it measured for it, the budget and the backend. Its presence makes a later attempt reuse it.
   */
  autoBatch: z
    .strictObject({
      batchSize: z.number().int().positive(),
      peakMB: z.number().nonnegative(),
      budgetMB: z.number().positive(),
      backend: z.string().min(1),
    })
    .optional(),
  /** Adam step size. @defaultValue 0.002 */
  learningRate: z.number().positive().default(0.002),
  lrDecay: lrDecaySchema.default(() => lrDecaySchema.parse({})),
  /**
   * Adam step size of the encoder's fine-tuned blocks (`encoder.trainable`), decayed with the same schedule;
   * smaller than the decoder's, as in Show, Attend and Tell's fine-tuning. @defaultValue 0.0001
   */
  encoderLearningRate: z.number().positive().default(0.0001),
  /** Gradients are rescaled so that their global L2 norm is at most this. @defaultValue 5 */
  gradClipNorm: z.number().positive().default(5),
  /** A checkpoint every N optimizer steps (besides one at each epoch end). @defaultValue 200 */
  checkpointEverySteps: z.number().int().positive().default(200),
  /** Step/epoch checkpoints kept besides the best one. @defaultValue 3 */
  keepLastCheckpoints: z.number().int().positive().default(3),
  /** Seeds weight init, data order, dropout and sampling. @defaultValue 42 */
  seed: z.number().int().default(42),
  /** Streaming of the features: prefetch, shuffle buffer, normalisation sample (see input.ts). */
  input: inputSettingsSchema.default(() => inputSettingsSchema.parse({})),
  scheduledSampling: scheduledSamplingSchema.default(() => scheduledSamplingSchema.parse({})),
  /** Weight of the doubly stochastic attention regulariser (attention models). @defaultValue 1 */
  attentionRegularization: z.number().min(0).default(1),
  /**
   * Weight of supervised attention (attention models on data sets whose captions are tied to image cells:
   * the synthetic shapes): each word that names an object is trained to attend to the object's cell, and
   * a relation word to the cell of the object it relates to. 0: none. @defaultValue 0
   */
  attentionSupervision: z.number().min(0).default(0),
  validation: validationSchema.default(() => validationSchema.parse({})),
  /** Stop after this many epochs without a better validation score; 0 never stops early. @defaultValue 4 */
  earlyStoppingPatience: z.number().int().nonnegative().default(4),
  /** Training loss/throughput metrics are reported every N steps. @defaultValue 10 */
  logEverySteps: z.number().int().positive().default(10),
  /** Self-critical training after cross-entropy (see `selfCriticalSchema`); absent: none. */
  selfCritical: selfCriticalSchema.optional(),
});
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;
