import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { CaptionerConfig } from '@captioner/core';
import type { DbClient } from '@captioner/db';
import { requireTokenForWrites } from './auth';
import { handleError } from './errors';
import { registerAssetRoutes } from './dashboard/assets';
import { registerDashboardRoutes } from './routes/dashboard';
import { registerDatasetRoutes } from './routes/datasets';
import { registerEvaluationRoutes } from './routes/evaluations';
import { registerHealthRoutes } from './routes/health';
import { registerQueueRoutes } from './routes/queues';
import { registerRunRoutes } from './routes/runs';

export interface ServerOptions {
  config: CaptionerConfig;
  db: DbClient;
  /** Log requests (pino JSON on stderr, like every Captioner process). @defaultValue false */
  log?: boolean;
}

/** The API and the dashboard on one Fastify instance; not listening yet (tests use `inject`). */
export function buildServer({ config, db, log = false }: ServerOptions): FastifyInstance {
  const app = Fastify({ logger: log ? { level: config.logLevel, stream: process.stderr } : false });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: `no route: ${request.method} ${request.url.split('?')[0]}` });
  });
  requireTokenForWrites(app, config.apiToken);
  const context = { config, db };
  registerHealthRoutes(app, context);
  registerDatasetRoutes(app, context);
  registerRunRoutes(app, context);
  registerEvaluationRoutes(app, context);
  registerQueueRoutes(app, context);
  registerAssetRoutes(app);
  registerDashboardRoutes(app, context);
  return app;
}
