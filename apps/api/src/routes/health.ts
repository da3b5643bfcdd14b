import type { FastifyInstance } from 'fastify';
import { describeError } from '@captioner/core';
import { createProducerConnection } from '@captioner/pipeline';
import type { RouteContext } from './context';

/** `GET /health`: 200 when the database (and Redis, when configured) answer, 503 otherwise. */
export function registerHealthRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.get('/health', async (_request, reply) => {
    const result: { database: string; redis: string; error?: string } = { database: 'ok', redis: 'disabled' };
    try {
      await db.$queryRawUnsafe('SELECT 1');
    } catch (error) {
      result.database = 'unreachable';
      result.error = describeError(error);
    }
    if (config.redisUrl) {
      try {
        (await createProducerConnection(config.redisUrl)).disconnect();
        result.redis = 'ok';
      } catch (error) {
        result.redis = 'unreachable';
        result.error ??= describeError(error);
      }
    }
    return reply.status(result.error ? 503 : 200).send(result);
  });
}
