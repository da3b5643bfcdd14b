import { ConnectionError } from '@captioner/core';
import type { Logger } from '@captioner/core';
import { redactRedisUrl } from '@captioner/pipeline';
import type { createWorkerConnection } from '@captioner/pipeline';

type Redis = ReturnType<typeof createWorkerConnection>;

export interface RedisWatch {
  /** Rejects with a ConnectionError once Redis has been unreachable for `giveUpMs`. */
  gaveUp: Promise<never>;
  stop(): void;
}

/**
 * Watches a worker's Redis connection. While Redis is unreachable the connection retries with
 * backoff (see `createWorkerConnection`); this says so once per outage instead of once per retry,
 * says once when Redis is back, and gives up after `giveUpMs` of one outage, so a worker pointed at
 * a dead Redis exits instead of warning forever. `onReady` runs on the first connection.
 */
export function watchRedis(
  connection: Redis,
  options: { url: string; giveUpMs: number; logger: Logger; onReady: () => void },
): RedisWatch {
  const where = redactRedisUrl(options.url);
  let outageTimer: NodeJS.Timeout | undefined;
  let everReady = false;
  let reject!: (error: ConnectionError) => void;
  const gaveUp = new Promise<never>((_resolve, rejectWith) => (reject = rejectWith));
  // Nobody may be listening yet when the worker stops first; the rejection is still delivered to
  // whoever awaits it.
  gaveUp.catch(() => {});

  const startOutage = (reason: string) => {
    if (outageTimer) return;
    options.logger.warn(
      { redis: where, error: reason, giveUpAfterSeconds: Math.round(options.giveUpMs / 1000) },
      'Redis unreachable; retrying with backoff',
    );
    outageTimer = setTimeout(() => {
      reject(
        new ConnectionError(
          `Redis at ${where} unreachable for ${Math.round(options.giveUpMs / 1000)} s: worker gives up (${reason})`,
        ),
      );
    }, options.giveUpMs);
  };
  const onError = (error: Error) => startOutage(error.message);
  const onClose = () => {
    if (everReady) startOutage('connection closed');
  };
  const onReady = () => {
    if (outageTimer) {
      clearTimeout(outageTimer);
      outageTimer = undefined;
      if (everReady) options.logger.info({ redis: where }, 'Redis reachable again');
    }
    if (!everReady) {
      everReady = true;
      options.onReady();
    }
  };
  connection.on('error', onError);
  connection.on('close', onClose);
  connection.on('ready', onReady);
  if (connection.status === 'ready') onReady();
  return {
    gaveUp,
    stop() {
      if (outageTimer) clearTimeout(outageTimer);
      connection.off('error', onError);
      connection.off('close', onClose);
      connection.off('ready', onReady);
    },
  };
}
