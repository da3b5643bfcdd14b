import { scoreCaptions } from '@captioner/metrics';
import { ConfigError } from '@captioner/core';
import type { CaptionModel } from '@captioner/model';
import type { TrainingConfig } from './config';
import type { CaptionScorer, ValSplit } from './types';

/**
 * Decodes the first `maxImages` validation images with the current weights (greedy or beam, as configured)
 * and scores them. Selection on decoded captions, not teacher-forced outputs, is what keeps the reported
 * score honest (see REFERENCES.md).
 */
export async function validationScore(
  model: CaptionModel,
  val: ValSplit,
  config: TrainingConfig['validation'],
  decodeTokens: (ids: number[]) => string,
  scorer?: CaptionScorer,
): Promise<{ score: number; samples: string[] }> {
  const count = Math.min(val.images, config.maxImages);
  const { pooledSize: P, gridPositions: G, gridChannels: C } = model.featureShape;
  const refs: Record<string, string[]> = {};
  const cands: Record<string, string> = {};
  const samples: string[] = [];
  const chunk = 64;
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    const captions = await model.decode(
      {
        pooled: val.pooled.subarray(start * P, (start + n) * P),
        grid:
          model.config.decoder.attention && val.grid
            ? val.grid.subarray(start * G * C, (start + n) * G * C)
            : undefined,
        count: n,
      },
      { beamSize: config.beamSize },
    );
    captions.forEach((ids, i) => {
      const id = val.ids?.[start + i] ?? String(start + i);
      cands[id] = decodeTokens(ids);
      refs[id] = val.references[start + i];
      if (samples.length < 5) samples.push(cands[id]);
    });
  }
  const result = scorer
    ? scorer({ refs, cands }, { tokenize: false })
    : scoreCaptions({ refs, cands }, { tokenize: false });
  const score = (result.corpus as Record<string, number>)[config.metric];
  if (typeof score !== 'number' || Number.isNaN(score))
    throw new ConfigError(`training.validation.metric: the scorer returned no '${config.metric}'`);
  return { score, samples };
}
