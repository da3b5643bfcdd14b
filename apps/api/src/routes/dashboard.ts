import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { renderRunPage } from '../dashboard/run-page';
import { renderRunsPage } from '../dashboard/runs-page';
import { parseInput } from '../validation';
import { runDetailsView, runListView } from '@captioner/db';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });

/** Server-rendered pages: no front-end build, the same views as the JSON API. */
export function registerDashboardRoutes(app: FastifyInstance, { db }: RouteContext): void {
  app.get('/', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderRunsPage(await runListView(db, 100)));
  });

  app.get('/runs/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return reply.type('text/html; charset=utf-8').send(renderRunPage(await runDetailsView(db, id)));
  });
}
