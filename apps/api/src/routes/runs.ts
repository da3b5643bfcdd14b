import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { cancelRun, resumeRun, startRun } from '../actions';
import { parseInput } from '../validation';
import { compareRunsView, metricsSince, runDetailsView, runListView } from '@captioner/db';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });
const metricsQuery = z.object({ after: z.coerce.number().int().nonnegative().default(0) });
/** `?ids=A,B` or `?ids=A&ids=B`: 1 to 10 distinct run ids. */
export const compareQuery = z.object({
  ids: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => [
      ...new Set(
        (Array.isArray(v) ? v : [v])
          .flatMap((s) => s.split(','))
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(z.array(z.string()).min(1, 'name at least one run').max(10, 'at most 10 runs')),
});
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

  // Before /api/runs/:id: Fastify prefers the static segment anyway, but the order reads the same way.
  app.get('/api/runs/compare', async (request) => {
    const { ids } = parseInput(compareQuery, request.query, 'query');
    return compareRunsView(db, ids);
  });

  /** The curves' source: Metric rows newer than `after` (a row id), polled by the dashboard. */
  app.get('/api/runs/:id/metrics', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const { after } = parseInput(metricsQuery, request.query, 'query');
    return metricsSince(db, id, after);
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
