/** What a long task reports as it goes: fraction in [0, 1] plus optional figures. */
export interface ProgressUpdate {
  /** Fraction done, 0..1. */
  fraction: number;
  /** Short human label of the current step, e.g. `step 120/800`. */
  message?: string;
  /** Named figures (loss, images/s, tokens/s, eta seconds). */
  figures?: Record<string, number>;
}

export type ProgressListener = (update: ProgressUpdate) => void;

/** A listener that ignores everything; for callers that do not display progress. */
export const ignoreProgress: ProgressListener = () => {};
