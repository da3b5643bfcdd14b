import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { QUEUE_NAMES, createWorkerConnection } from '@captioner/pipeline';
import type { RouteContext } from './context';

export const QUEUE_BOARD_PATH = '/queues/board';

/**
 * bull-board (its Fastify adapter) at /queues/board: inspect, retry and remove the stage queues' jobs.
 * Mounted only with REDIS_URL and CAPTIONER_API_TOKEN: the board changes jobs and shows their payloads,
 * so it is always behind the token (reads too, see auth.ts), whatever CAPTIONER_API_PROTECT_READS says.
 * Its queues share one connection that reconnects on its own (a Redis restart does not break the page),
 * closed with the server.
 */
export function registerQueueBoard(app: FastifyInstance, { config }: RouteContext): void {
  if (!config.redisUrl || !config.apiToken) {
    app.get(QUEUE_BOARD_PATH, async (_request, reply) =>
      reply.status(404).send({
        error: 'the queue board needs REDIS_URL and CAPTIONER_API_TOKEN (it can retry and remove jobs)',
      }),
    );
    return;
  }
  const connection = createWorkerConnection(config.redisUrl);
  connection.on('error', () => {
    // The board's pages show Redis errors themselves; ioredis would otherwise print each retry.
  });
  const queues = Object.values(QUEUE_NAMES).map(
    (name) => new Queue(name, { connection, prefix: config.queuePrefix }),
  );
  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Captioner queues' } },
  });
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  void app.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    connection.disconnect();
  });
}
