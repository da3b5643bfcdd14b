import { Redis } from 'ioredis';
import { ConnectionError, describeError } from '@captioner/core';

export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^@]*)@/, '//***@');
}

/**
 * A connection for BullMQ workers: retries forever (`maxRetriesPerRequest: null`, as BullMQ requires),
 * so a Redis restart is survived.
 */
export function createWorkerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/**
 * A connection for producers (CLI, API): fails fast with a one-line ConnectionError instead of
 * hanging when Redis is down.
 */
export async function createProducerConnection(url: string, timeoutMs = 3000): Promise<Redis> {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // Reported through the failed connect below; without a listener ioredis prints to stderr.
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new ConnectionError(`cannot reach Redis at ${redactRedisUrl(url)}: ${describeError(error)}`, {
      cause: error,
    });
  }
  return redis;
}
