import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cancelRun, resumeRun, startRun } from '../actions';
import { parseInput } from '../validation';
import { runDetailsView, runListView } from '@captioner/db';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
const startBody = z.strictObject({
  dataset: z.string().min(1),
  /** The run config (as `--config`); validated by the pipeline, whose ConfigError is a 400. */
  config: z.record(z.string(), z.unknown()).optional(),
  name: z.string().min(1).max(200).optional(),
});

export function registerRunRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.get('/api/runs', async (request) => {
    const { limit } = parseInput(listQuery, request.query, 'query');
    return runListView(db, limit);
  });

  app.get('/api/runs/:id', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return runDetailsView(db, id);
  });

  app.post('/api/runs', async (request, reply) => {
    const body = parseInput(startBody, request.body, 'body');
    const run = await startRun(config, db, body);
    return reply.status(201).send(run);
  });

  app.post('/api/runs/:id/cancel', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return cancelRun(config, db, id);
  });

  app.post('/api/runs/:id/resume', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return resumeRun(config, db, id);
  });
}
