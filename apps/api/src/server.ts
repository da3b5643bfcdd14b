import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { CaptionerConfig } from '@captioner/core';
import type { DbClient } from '@captioner/db';
import { registerAccessControl } from './auth';
import { handleError } from './errors';
import { registerAssetRoutes } from './dashboard/assets';
import { registerCaptionRoutes } from './routes/caption';
import { registerAccessRoutes } from './routes/access';
import { registerDashboardRoutes } from './routes/dashboard';
import { registerDatasetRoutes } from './routes/datasets';
import { registerEvaluationRoutes } from './routes/evaluations';
import { registerHealthRoutes } from './routes/health';
import { registerHousekeepingRoutes } from './routes/housekeeping';
import { registerQueueRoutes } from './routes/queues';
import { registerQueueBoard } from './routes/queue-board';
import { registerRunRoutes } from './routes/runs';
import { registerSweepRoutes } from './routes/sweeps';

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
  // Security headers on every answer: a Content-Security-Policy that allows scripts from this site only
  // (the pages have no inline script), no framing, nosniff, no referrer to other sites.
  // helmet's defaults but two: no upgrade-insecure-requests (the API is served over plain HTTP on loopback
  // or behind a proxy, and the browser would send the dashboard's forms to https:// and fail), and the
  // referrer policy `same-origin` instead of `no-referrer`, under which a browser sends `Origin: null`
  // with the dashboard's own forms and the same-origin check of cookie writes (auth.ts) could not pass.
  void app.register(helmet, {
    global: true,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    referrerPolicy: { policy: 'same-origin' },
  });
  // The dashboard's forms (login, archive, delete) post application/x-www-form-urlencoded.
  void app.register(formbody);
  registerAccessControl(app, { token: config.apiToken, protectReads: config.apiProtectReads });
  const context = { config, db };
  registerHealthRoutes(app, context);
  registerAccessRoutes(app, context);
  registerDatasetRoutes(app, context);
  registerRunRoutes(app, context);
  registerSweepRoutes(app, context);
  registerHousekeepingRoutes(app, context);
  registerEvaluationRoutes(app, context);
  registerQueueRoutes(app, context);
  registerQueueBoard(app, context);
  registerAssetRoutes(app);
  registerDashboardRoutes(app, context);
  registerCaptionRoutes(app, context);
  return app;
}
