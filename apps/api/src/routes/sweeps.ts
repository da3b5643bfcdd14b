import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConnectionError } from '@captioner/core';
import { getSweep, listSweepRuns, listSweeps } from '@captioner/db';
import { cancelSweep, parseGridAxis, rankSweepRuns, startSweep } from '@captioner/pipeline';
import { NO_REDIS_MESSAGE } from '../producer';
import { parseInput } from '../validation';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });
const startBody = z.strictObject({
  dataset: z.string().min(1),
  /** The base run config; each configuration is validated by the run config schema (a 400). */
  config: z.record(z.string(), z.unknown()).optional(),
  /** `key=v1,v2` strings, as `--grid`. */
  grid: z.array(z.string().min(3)).min(1),
  random: z.strictObject({ count: z.number().int().positive(), seed: z.number().int() }).optional(),
  metric: z.string().min(1).default('CIDEr'),
  prune: z.enum(['none', 'median']).default('none'),
});

/** Sweeps: list and show are reads; start and cancel are writes (behind the token like other writes). */
export function registerSweepRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  app.get('/api/sweeps', async () => listSweeps(db));

  app.get('/api/sweeps/:id', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const sweep = await getSweep(db, id);
    const keys = ((sweep.spec as { axes?: { key: string }[] }).axes ?? []).map((a) => a.key);
    return { ...sweep, runs: rankSweepRuns(await listSweepRuns(db, id), sweep.metric, keys) };
  });

  app.post('/api/sweeps', async (request, reply) => {
    const body = parseInput(startBody, request.body, 'body');
    // The API only enqueues (as POST /api/runs): no training in the API process.
    if (!config.redisUrl) throw new ConnectionError(NO_REDIS_MESSAGE);
    const result = await startSweep(
      { config, db },
      {
        dataset: body.dataset,
        baseConfig: body.config ?? {},
        axes: body.grid.map(parseGridAxis),
        random: body.random,
        metric: body.metric,
        prune: body.prune,
      },
    );
    return reply.status(201).send(result);
  });

  app.post('/api/sweeps/:id/cancel', async (request) => {
    const { id } = parseInput(idParams, request.params, 'params');
    return { id, status: 'cancelled', ...(await cancelSweep({ config, db }, id)) };
  });
}
