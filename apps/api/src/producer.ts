import { ConnectionError } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { createProducerConnection } from '@captioner/pipeline';

type Producer = Awaited<ReturnType<typeof createProducerConnection>>;

export const NO_REDIS_MESSAGE = 'REDIS_URL is not set: the API enqueues runs for captioner workers';

/**
 * Runs `body` with a fresh producer connection to Redis. One connection per request keeps the API
 * independent of Redis restarts (nothing to reconnect) at the price of a connect per write, which is
 * negligible next to what a run costs. Without REDIS_URL the API refuses (503) instead of training in
 * its own process: a web server must not block on model work.
 */
export async function withProducer<T>(
  config: CaptionerConfig,
  body: (connection: Producer) => Promise<T>,
): Promise<T> {
  if (!config.redisUrl) throw new ConnectionError(NO_REDIS_MESSAGE);
  const connection = await createProducerConnection(config.redisUrl);
  try {
    return await body(connection);
  } finally {
    connection.disconnect();
  }
}
