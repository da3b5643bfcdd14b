/**
 * Errors that cross package boundaries. The CLI turns them into one-line messages and exit codes,
 * the API into HTTP statuses, the pipeline into retry decisions (`permanent` errors are not retried).
 */
export class CaptionerError extends Error {
  /** Stable machine-readable name, e.g. `not_found`. */
  readonly code: string = 'captioner_error';
  /** A permanent error fails its stage at once; any other error is retried with backoff. */
  readonly permanent: boolean = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends CaptionerError {
  override readonly code = 'usage';
}

/** Invalid configuration: environment, run config, model settings. */
export class ConfigError extends CaptionerError {
  override readonly code = 'config';
}

/** A named thing (data set, run, checkpoint, file) does not exist. */
export class NotFoundError extends CaptionerError {
  override readonly code = 'not_found';
}

/** Bad input data; the message names the file, line or field. */
export class InvalidInputError extends CaptionerError {
  override readonly code = 'invalid_input';
}

/** A service (Redis, the database) cannot be reached. Transient: retried. */
export class ConnectionError extends CaptionerError {
  override readonly code = 'connection';
  override readonly permanent = false;
}

/** An artifact on disk is corrupt (bad checksum, truncated). */
export class CorruptArtifactError extends CaptionerError {
  override readonly code = 'corrupt_artifact';
}

/** Work stopped on request (cancel, shutdown); not a failure. */
export class CancelledError extends CaptionerError {
  override readonly code = 'cancelled';
  override readonly permanent = false;
}

/** True when the error must not be retried. Unknown errors are treated as transient. */
export function isPermanentError(error: unknown): boolean {
  return error instanceof CaptionerError && error.permanent;
}

/** One line for humans: the message, never a stack trace. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0];
  return String(error);
}

/**
 * A status change that the state machine of a run, a stage or an evaluation does not allow (for
 * example cancelling a run that already succeeded). Finished history is never rewritten, so this is
 * permanent; the CLI exits 1 with the message, the API answers 409.
 */
export class IllegalTransitionError extends CaptionerError {
  override readonly code = 'illegal_transition';
  constructor(
    readonly entity: 'run' | 'stage' | 'evaluation',
    readonly id: string,
    readonly from: string,
    readonly to: string,
    hint?: string,
  ) {
    super(`${entity} ${id} is ${from}: it cannot become ${to}${hint ? ` (${hint})` : ''}`);
  }
}

/** `--wait … --timeout`: the awaited run or evaluation had not ended in time (it goes on). */
export class WaitTimeoutError extends CaptionerError {
  override readonly code = 'wait_timeout';
}

/**
 * Training produced a non-finite loss. Permanent: training is deterministic, so a retry from the same
 * checkpoint diverges at the same step; the learning rate or the data must change.
 */
export class TrainingDivergedError extends CaptionerError {
  override readonly code = 'training_diverged';
}

/**
 * A tfjs backend cannot be used on this machine (its package is not installed, or it failed to
 * initialise). Backend selection then tries the next one; when none is left, it reports a ConfigError.
 */
export class BackendUnavailableError extends CaptionerError {
  override readonly code = 'backend_unavailable';
}
