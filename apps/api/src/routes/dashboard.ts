import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { renderRunPage } from '../dashboard/run-page';
import { renderRunsPage } from '../dashboard/runs-page';
import type { QueuesPanel } from '../dashboard/runs-page';
import { withProducer } from '../producer';
import { describeError } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { queueStatus } from '@captioner/pipeline';
import { parseInput } from '../validation';
import { runDetailsView, runListView } from '@captioner/db';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });

/** Server-rendered pages: no front-end build, the same views as the JSON API. */
/** The queue table of the runs page: absent without Redis, an error line when Redis does not answer. */
async function dashboardQueues(config: CaptionerConfig): Promise<QueuesPanel> {
  if (!config.redisUrl) return { kind: 'disabled' };
  try {
    return { kind: 'ok', queues: await withProducer(config, (c) => queueStatus(c, config.queuePrefix)) };
  } catch (error) {
    return { kind: 'error', message: describeError(error) };
  }
}

export function registerDashboardRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.get('/', async (_request, reply) => {
    const queues = await dashboardQueues(config);
    return reply.type('text/html; charset=utf-8').send(renderRunsPage(await runListView(db, 100), queues));
  });

  app.get('/runs/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return reply.type('text/html; charset=utf-8').send(renderRunPage(await runDetailsView(db, id)));
  });
}
