import type { FastifyInstance } from 'fastify';
import { queueStatus } from '@captioner/pipeline';
import { withProducer } from '../producer';
import type { RouteContext } from './context';

/** `GET /api/queues`: jobs per state and connected workers of every stage queue (503 without REDIS_URL). */
export function registerQueueRoutes(app: FastifyInstance, { config }: RouteContext): void {
  app.get('/api/queues', async () =>
    withProducer(config, (connection) => queueStatus(connection, config.queuePrefix)),
  );
}
