import type { StageHandlers } from '@captioner/pipeline';
import { preprocessStage } from '@captioner/preprocessing';
import { extractStage } from '@captioner/feature-extraction';
import { trainStage } from '@captioner/training';
import { evaluateStage } from '@captioner/evaluation';

/** The wiring of stage packages into the executors: the one place that knows all four. */
export function createStageHandlers(): StageHandlers {
  return {
    preprocess: preprocessStage,
    extract: extractStage,
    train: trainStage,
    evaluate: evaluateStage,
  };
}
