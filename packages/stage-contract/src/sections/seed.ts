import { z } from 'zod';

/**
 * The run's seed: the encoder's initial weights (feature extraction) and the untrained decoder the
 * demo scores as a floor. Training has its own `training.seed`. @defaultValue 1
 */
export const seedSchema = z.number().int().default(1);
