import {
  CancelledError,
  CaptionerError,
  ConnectionError,
  InvalidInputError,
  describeError,
  isPermanentError,
  warnOnFailure,
} from '@captioner/core';
import type { CaptionerConfig, Logger, ProgressUpdate } from '@captioner/core';
import {
  FINISHED_EVALUATION_STATUSES,
  findEvaluation,
  finishStage,
  getRun,
  getStage,
  setEvaluationStatus,
  setRunStatus,
  startStage,
  updateStageProgress,
  WHOLE_RUN,
} from '@captioner/db';
import type { DbClient, EvaluationStatus, StageKey, StageKind } from '@captioner/db';
import type { StageHandlers } from './handlers';
import { payloadSchemas } from './payloads';
import { runLogFor } from './run-log';
import type { StagePayloads } from './payloads';

/** Progress is written to the database at most this often (and always at the end). */
const PROGRESS_WRITE_INTERVAL_MS = 1000;
/** How often a running stage checks whether its run was cancelled. */
const CANCEL_POLL_INTERVAL_MS = 2000;

/** First pause before a database operation is tried again; it doubles up to DB_RETRY_MAX_PAUSE_MS. */
const DB_RETRY_FIRST_PAUSE_MS = 250;
const DB_RETRY_MAX_PAUSE_MS = 4000;

/**
 * Whether a database error means "could not reach the server" (worth retrying) rather than a bad
 * query. Prisma codes: P1001 can't reach, P1002 timed out, P1017 server closed the connection, P2024
 * pool timeout; the pg driver adapter reports socket errors by their Node codes and messages.
 */
export function isDbConnectionError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (
      typeof code === 'string' &&
      /^(P1001|P1002|P1017|P2024|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P01|08\w{3})$/.test(code)
    )
      return true;
    if (
      typeof message === 'string' &&
      /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|connection (was )?closed|Can't reach database|server closed the connection|timeout exceeded when trying to connect/i.test(
        message,
      )
    )
      return true;
  }
  return false;
}

/**
 * A client whose every operation is retried with backoff while the database is unreachable, for up
 * to `totalMs`; then it fails with a ConnectionError naming the operation. Retrying is safe because
 * the repositories write by natural key (upserts), so a write that did land is not recorded twice.
 * (Operations inside an interactive transaction are retried too; a transaction whose connection died
 * fails as a whole and the stage's own retry runs it again.)
 */
export function withDbRetries(db: DbClient, logger: Logger, totalMs: number): DbClient {
  const extended = db.$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        const deadline = Date.now() + totalMs;
        for (let pause = DB_RETRY_FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, DB_RETRY_MAX_PAUSE_MS)) {
          try {
            return await query(args);
          } catch (error) {
            if (!isDbConnectionError(error)) throw error;
            const what = `${model ?? 'database'}.${operation}`;
            if (Date.now() + pause > deadline) {
              throw new ConnectionError(
                `database unreachable for ${Math.round(totalMs / 1000)} s (${what}): ${describeError(error)}`,
                { cause: error },
              );
            }
            logger.warn(
              { operation: what, error: describeError(error), retryInMs: pause },
              'database unreachable, retrying',
            );
            await new Promise((resolve) => setTimeout(resolve, pause));
          }
        }
      },
    },
  });
  return extended as unknown as DbClient;
}

export interface StageRunDeps {
  config: CaptionerConfig;
  db: DbClient;
  logger: Logger;
  handlers: StageHandlers;
  workerId: string;
  /** 1-based attempt number; with `maxAttempts` decides whether a transient failure is final. */
  attempt: number;
  maxAttempts: number;
  signal: AbortSignal;
  /** Terminal display of progress (the CLI's bars); the database gets it regardless. */
  onProgress?: (stage: StageKind, key: StageKey, update: ProgressUpdate) => void;
}

export type StageOutcome = 'done' | 'skipped';

export function parsePayload<K extends StageKind>(stage: K, raw: unknown): StagePayloads[K] {
  const parsed = payloadSchemas[stage].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      `${stage} job payload: field ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  return parsed.data as StagePayloads[K];
}

export function stageKeyOf(stage: StageKind, payload: StagePayloads[StageKind]): StageKey {
  return { runId: payload.runId, stage, shard: 'shard' in payload ? payload.shard : WHOLE_RUN };
}

/** Evaluations enqueued on demand are tracked by their Evaluation row, not by the run's stage row. */
function tracksStageRow(stage: StageKind, payload: StagePayloads[StageKind]): boolean {
  return stage !== 'evaluate' || ('trackStage' in payload && payload.trackStage === true);
}

/**
 * Runs one stage job with its database bookkeeping, the same way in every executor: skips a stage
 * already done, counts attempts, stores progress, marks success, and on a failure that will not be
 * retried marks the stage and the run failed with a one-line message. Every status change goes
 * through the state machines of `@captioner/db`, so a job never rewrites a finished run, stage or
 * evaluation. An evaluation asked for on demand (not the run's final one) only ever changes its own
 * Evaluation row: its failure belongs to it, not to the run.
 */
export async function runStage<K extends StageKind>(
  stage: K,
  rawPayload: unknown,
  deps: StageRunDeps,
): Promise<StageOutcome> {
  const payload = parsePayload(stage, rawPayload);
  // Every database operation of the stage (bookkeeping and the handler's own) survives a short outage.
  const pollDb = deps.db;
  deps = { ...deps, db: withDbRetries(deps.db, deps.logger, deps.config.dbRetryMs) };
  const key = stageKeyOf(stage, payload);
  const tracked = tracksStageRow(stage, payload);
  const evaluationId = stage === 'evaluate' ? (payload as StagePayloads['evaluate']).evaluationId : undefined;
  const run = await getRun(deps.db, payload.runId);
  const runLog = runLogFor(
    deps.db,
    key,
    deps.logger.child({ stage, runId: key.runId, shard: key.shard, attempt: deps.attempt }),
  );
  // Its warnings and errors are also stored on the run (RunLog), for the run's page.
  const logger = runLog.logger;
  const where = `${stage}${key.shard === WHOLE_RUN ? '' : ` shard ${key.shard}`}`;
  if (tracked) {
    if (run.status === 'cancelled') throw new CancelledError(`run ${run.id} was cancelled`);
    if (!RUNNABLE_RUN_STATUSES.includes(run.status)) {
      // A job left over from before the run ended (a sibling shard of a failed one): nothing to do
      // until `run resume`, which enqueues the run again.
      throw new CancelledError(
        `run ${run.id} is ${run.status}: ${stage} not run (resume the run to run it again)`,
      );
    }
    await setRunStatus(deps.db, run.id, 'running');
    const existing = await getStage(deps.db, key);
    if (existing?.status === 'succeeded') {
      // The final evaluation closes the run, also when a resume finds everything done.
      if (stage === 'evaluate') await setRunStatus(deps.db, run.id, 'succeeded');
      return 'skipped';
    }
    await startStage(deps.db, key, deps.workerId);
  } else if (evaluationId && (await findEvaluation(deps.db, evaluationId))?.status === 'succeeded') {
    return 'skipped';
  }

  let lastWrite = 0;
  const reportProgress = async (update: ProgressUpdate) => {
    deps.onProgress?.(stage, key, update);
    const now = Date.now();
    if (!tracked || (now - lastWrite < PROGRESS_WRITE_INTERVAL_MS && update.fraction < 1)) return;
    lastWrite = now;
    await updateStageProgress(deps.db, key, update);
  };
  // The handler stops at its next safe point on shutdown, or when the run is cancelled from anywhere
  // (an evaluation asked for on demand is not the run's work: cancelling the run leaves it be).
  const stop = new AbortController();
  const onShutdown = () => stop.abort();
  deps.signal.addEventListener('abort', onShutdown);
  if (deps.signal.aborted) stop.abort();
  const cancelPoll = setInterval(() => {
    // Not retried: the next poll comes soon enough.
    getRun(pollDb, run.id)
      .then((current) => tracked && current.status === 'cancelled' && stop.abort())
      .catch(warnOnFailure(logger, 'polling for a cancel'));
  }, CANCEL_POLL_INTERVAL_MS);
  cancelPoll.unref();
  // Bookkeeping after the handler ended must not hide why it ended: its failures are logged.
  const record = async (what: string, write: () => Promise<unknown>) => {
    try {
      await write();
    } catch (error) {
      logger.warn({ error: describeError(error) }, `could not record ${what}`);
    }
  };
  const handler = deps.handlers[stage] as (
    p: StagePayloads[K],
    ctx: Parameters<StageHandlers[K]>[1],
  ) => Promise<void>;
  try {
    logger.info('stage started');
    await runLog.write('info', `${where} started (attempt ${deps.attempt} of ${deps.maxAttempts})`);
    await handler(payload, {
      config: deps.config,
      db: deps.db,
      logger,
      reportProgress,
      signal: stop.signal,
      workerId: deps.workerId,
      attempt: deps.attempt,
    });
    if (tracked) await finishStage(deps.db, key, 'succeeded');
    if (stage === 'evaluate' && tracked) await setRunStatus(deps.db, run.id, 'succeeded');
    logger.info('stage succeeded');
    await runLog.write('info', `${where} succeeded`);
    return 'done';
  } catch (error) {
    const message = `${stage}${key.shard === WHOLE_RUN ? '' : ` shard ${key.shard}`}: ${describeError(error)}`;
    if (error instanceof CancelledError || stop.signal.aborted) {
      // Stopped on request. A cancel already marked the run's unfinished stages cancelled; a shutdown
      // hands the stage (and the evaluation) back to be taken over or resumed.
      logger.warn({ error: message }, 'stage stopped');
      const cancelled = tracked && (await getRun(deps.db, run.id).catch(() => run)).status === 'cancelled';
      if (!cancelled) {
        if (tracked)
          await record('the stage handed back', () => finishStage(deps.db, key, 'pending', message));
        if (evaluationId)
          await record('the evaluation handed back', () =>
            setEvaluationStatus(deps.db, evaluationId, 'queued'),
          );
      }
      throw error instanceof CancelledError ? error : new CancelledError(message);
    }
    const final = isPermanentError(error) || deps.attempt >= deps.maxAttempts;
    logger.error(
      { error: message, final },
      final ? 'stage failed' : `stage failed, will retry (attempt ${deps.attempt} of ${deps.maxAttempts})`,
    );
    if (final) {
      if (evaluationId)
        await record('the failed evaluation', () =>
          setEvaluationStatus(deps.db, evaluationId, 'failed', message),
        );
      if (tracked) {
        await record('the failed stage', () => finishStage(deps.db, key, 'failed', message));
        await record('the failed run', () => setRunStatus(deps.db, run.id, 'failed', message));
      }
    }
    throw error instanceof CaptionerError ? error : new StageFailedError(message, error);
  } finally {
    clearInterval(cancelPoll);
    deps.signal.removeEventListener('abort', onShutdown);
  }
}

/**
 * Records that the queue gave up on a job, unless its rows already say how it ended: an evaluation
 * not yet finished fails, and for the run's own stages the stage and the run fail while the run is
 * still queued or running. (A run that already failed, was cancelled or stopped keeps its history.)
 */
export async function recordAbandonedJob(
  db: DbClient,
  stage: StageKind,
  rawPayload: unknown,
  reason: string,
): Promise<void> {
  const parsed = payloadSchemas[stage].safeParse(rawPayload);
  if (!parsed.success) return; // not one of our payloads: no row to update
  const payload = parsed.data as StagePayloads[StageKind];
  const key = stageKeyOf(stage, payload);
  const message = `${stage}${key.shard === WHOLE_RUN ? '' : ` shard ${key.shard}`}: the queue gave up on the job: ${reason}`;
  const tracked = tracksStageRow(stage, payload);
  const run = await getRun(db, key.runId);
  // A run's own job refused because the run had ended (or was stopped) tells nothing new.
  if (tracked && !RUNNABLE_RUN_STATUSES.includes(run.status)) return;
  if (stage === 'evaluate') {
    const { evaluationId } = payload as StagePayloads['evaluate'];
    const evaluation = await findEvaluation(db, evaluationId);
    if (evaluation && !FINISHED_EVALUATION_STATUSES.includes(evaluation.status as EvaluationStatus))
      await setEvaluationStatus(db, evaluationId, 'failed', message);
  }
  if (!tracked) return;
  const row = await getStage(db, key);
  if (row && (row.status === 'pending' || row.status === 'running'))
    await finishStage(db, key, 'failed', message);
  await setRunStatus(db, run.id, 'failed', message);
}

/** Run statuses in which a run's own stage jobs may work (`running -> running` is a second stage). */
const RUNNABLE_RUN_STATUSES: readonly string[] = ['queued', 'running'];

/** A stage failed for a reason that is not one of ours (a bug, a library error); retried as transient. */
export class StageFailedError extends CaptionerError {
  override readonly code = 'stage_failed';
  override readonly permanent = false;
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}
