import { z } from 'zod';
import { decodingSettingsSchema } from '@captioner/model/config';
import type { DecodingSettings } from '@captioner/model/config';

export { decodingSettingsSchema };
export type { DecodingSettings };

/** Only the decoding fields of a larger object (a payload, the evaluation section), for settings columns. */
export function decodingSettingsOf(source: DecodingSettings): DecodingSettings {
  const { beamSize, lengthPenalty, noRepeatNgramSize, maxLength } = source;
  return { beamSize, lengthPenalty, noRepeatNgramSize, ...(maxLength === undefined ? {} : { maxLength }) };
}

/**
 * The evaluation that ends the pipeline (ad-hoc evaluations choose their own split and decoding): its
 * split and the decoding settings of `@captioner/model` (beamSize 3, lengthPenalty 0,
 * noRepeatNgramSize 0, maxLength: the decoder's). An exported bundle records the decoding settings as
 * its defaults.
 */
export const finalEvaluationSchema = z.strictObject({
  /** @defaultValue 'test' */
  split: z.enum(['val', 'test']).default('test'),
  ...decodingSettingsSchema.shape,
});
export type FinalEvaluationSettings = z.output<typeof finalEvaluationSchema>;
