import { describeError, warnOnFailure } from '@captioner/core';
import type { Logger } from '@captioner/core';
import { recordRunLog } from '@captioner/db';
import type { DbClient, RunLogLevel, StageKey } from '@captioner/db';

/** The text of a pino call: `warn(msg)`, `warn({ error }, msg)` → "msg: error". */
function lineOf(args: unknown[]): string {
  const [first, second] = args;
  if (typeof first === 'string') return first;
  const fields = (typeof first === 'object' && first !== null ? first : {}) as Record<string, unknown>;
  const error = fields.error ?? fields.err;
  const msg = typeof second === 'string' ? second : '';
  const detail = error === undefined ? '' : typeof error === 'string' ? error : describeError(error);
  return [msg, detail].filter(Boolean).join(': ') || JSON.stringify(fields);
}

/**
 * What a stage tells about its run, stored as RunLog rows for the run's page: `write` for the stage
 * runner's own events (started, succeeded, retried, failed), and `logger`, the stage's pino logger whose
 * warnings and errors (the handler's too, and its children's) are also stored. Storing never fails the
 * stage: a failed write is a warning on stderr.
 */
export function runLogFor(db: DbClient, key: StageKey, logger: Logger) {
  const write = (level: RunLogLevel, message: string): Promise<void> =>
    recordRunLog(db, { runId: key.runId, stage: key.stage, shard: key.shard, level, message })
      .then(() => undefined)
      .catch(warnOnFailure(logger, 'storing a run log line'));
  const recording = (target: Logger): Logger =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        if (prop === 'warn' || prop === 'error')
          return (...args: unknown[]) => {
            void write(prop, lineOf(args));
            return (obj[prop] as (...a: unknown[]) => void).apply(obj, args);
          };
        if (prop === 'child')
          return (...args: Parameters<Logger['child']>) => recording(obj.child(...args) as unknown as Logger);
        const value = Reflect.get(obj, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      },
    });
  return { write, logger: recording(logger) };
}
