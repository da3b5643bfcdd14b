import { z } from 'zod';

/** The evaluation that ends the pipeline (ad-hoc evaluations choose their own split and beam). */
export const finalEvaluationSchema = z.strictObject({
  /** @defaultValue 'test' */
  split: z.enum(['val', 'test']).default('test'),
  /** @defaultValue 3 */
  beamSize: z.number().int().min(1).max(20).default(3),
});
export type FinalEvaluationSettings = z.output<typeof finalEvaluationSchema>;
