import type { CaptionerConfig, Logger, ProgressUpdate } from '@captioner/core';
import type { DbClient } from '@captioner/db';

/**
 * What a stage handler gets from whichever executor runs it (local or BullMQ). It lives below the
 * stages because the pipeline (which builds it) and every stage package (which reads it) need it,
 * and no stage package may depend on the pipeline package.
 */
export interface StageContext {
  config: CaptionerConfig;
  db: DbClient;
  logger: Logger;
  /** Stored in the StageRun row (throttled) and shown by `run show --watch`. */
  reportProgress(update: ProgressUpdate): Promise<void>;
  /** Aborted on cancel or shutdown: stop at the next safe point (training writes a checkpoint). */
  signal: AbortSignal;
  workerId: string;
  /** 1 for the first try, 2+ for retries and takeovers after a crash. */
  attempt: number;
}
