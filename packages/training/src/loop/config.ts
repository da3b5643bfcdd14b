import type { TrainingConfig } from '@captioner/stage-contract';

// The section's schema lives in @captioner/stage-contract (the pipeline validates it, this stage reads it).
export {
  trainingConfigSchema,
  lrDecaySchema,
  scheduledSamplingSchema,
  validationSchema,
} from '@captioner/stage-contract';
export type { TrainingConfig, TrainingConfigInput } from '@captioner/stage-contract';

/** Learning rate in force during `epoch` (0-based). */
export function learningRateAt(config: TrainingConfig, epoch: number): number {
  const { schedule, factor, everyEpochs } = config.lrDecay;
  if (schedule === 'step') return config.learningRate * Math.pow(factor, Math.floor(epoch / everyEpochs));
  if (schedule === 'cosine') {
    const progress = config.epochs <= 1 ? 0 : epoch / (config.epochs - 1);
    return config.learningRate * (factor + (1 - factor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }
  return config.learningRate;
}

/** Scheduled-sampling probability during `epoch`. */
export function samplingProbabilityAt(config: TrainingConfig, epoch: number): number {
  const s = config.scheduledSampling;
  if (!s.enabled || epoch < s.startEpoch) return 0;
  return Math.min(s.max, s.increase * (1 + Math.floor((epoch - s.startEpoch) / s.everyEpochs)));
}
