import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { renderRunPage } from '../dashboard/run-page';
import { renderRunsPage } from '../dashboard/runs-page';
import type { QueuesPanel } from '../dashboard/runs-page';
import { withProducer } from '../producer';
import { describeError } from '@captioner/core';
import type { CaptionerConfig } from '@captioner/core';
import { queueStatus, rankSweepRuns } from '@captioner/pipeline';
import { parseInput } from '../validation';
import path from 'node:path';
import {
  compareRunsView,
  galleryView,
  getSweep,
  listRunLogs,
  listSweepRuns,
  runDetailsView,
  runListView,
  sampleImageSource,
  sweepListView,
} from '@captioner/db';
import { renderGalleryPage } from '../dashboard/gallery-page';
import { renderSweepPage, renderSweepsPage } from '../dashboard/sweeps-page';
import { renderComparePage } from '../dashboard/compare-page';
import { compareQuery } from './runs';
import { THUMBNAIL_SIZES, datasetImageFile, thumbnail } from '../images/thumbnails';
import type { RouteContext } from './context';

const idParams = z.object({ id: z.string().min(1) });
const galleryQuery = z.object({
  order: z.enum(['cider', 'bleu4', 'rougeL', 'image']).default('cider'),
  word: z.string().max(100).optional(),
});
/** A sample row's numeric id: the only thing of the request that leads to an image file. */
const sampleParams = z.object({ sampleId: z.coerce.number().int().positive() });
const thumbnailQuery = z.object({
  size: z.coerce
    .number()
    .int()
    .refine((n) => (THUMBNAIL_SIZES as readonly number[]).includes(n), `one of ${THUMBNAIL_SIZES.join(', ')}`)
    .default(192),
});

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
  app.get('/', async (request, reply) => {
    const includeArchived = (request.query as { archived?: string }).archived === '1';
    const queues = await dashboardQueues(config);
    const runs = await runListView(db, 100, { includeArchived });
    return reply
      .type('text/html; charset=utf-8')
      .send(renderRunsPage(runs, queues, { includeArchived, tokenConfigured: Boolean(config.apiToken) }));
  });

  app.get('/runs/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const run = await runDetailsView(db, id);
    const logs = await listRunLogs(db, id, { limit: 500 });
    return reply.type('text/html; charset=utf-8').send(renderRunPage(run, logs));
  });

  // The same reads as GET /api/sweeps and /api/sweeps/:id (an unknown id: NotFoundError, a 404).
  app.get('/sweeps', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderSweepsPage(await sweepListView(db)));
  });

  app.get('/sweeps/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const sweep = await getSweep(db, id);
    const keys = ((sweep.spec as { axes?: { key: string }[] }).axes ?? []).map((a) => a.key);
    const runs = rankSweepRuns(await listSweepRuns(db, id), sweep.metric, keys);
    return reply.type('text/html; charset=utf-8').send(renderSweepPage(sweep, runs));
  });

  app.get('/compare', async (request, reply) => {
    const raw = request.query as { ids?: unknown };
    const comparison = raw.ids ? await compareRunsView(db, parseInput(compareQuery, raw, 'query').ids) : null;
    return reply
      .type('text/html; charset=utf-8')
      .send(renderComparePage(await runListView(db, 50), comparison));
  });

  app.get('/evaluations/:id', async (request, reply) => {
    const { id } = parseInput(idParams, request.params, 'params');
    const query = parseInput(galleryQuery, request.query, 'query');
    const gallery = await galleryView(db, id, { order: query.order, word: query.word || undefined });
    return reply.type('text/html; charset=utf-8').send(renderGalleryPage(gallery, query));
  });

  // The sample id leads, through the database only, to its data set's manifest and the image's entry there.
  app.get('/thumbnails/:sampleId', async (request, reply) => {
    const { sampleId } = parseInput(sampleParams, request.params, 'params');
    const { size } = parseInput(thumbnailQuery, request.query, 'query');
    const { imageId, dataset } = await sampleImageSource(db, sampleId);
    const file = await datasetImageFile(dataset.manifestPath, imageId);
    const cacheDir = path.join(config.home, 'cache', 'thumbnails', dataset.id);
    return reply
      .type('image/jpeg')
      .header('cache-control', 'private, max-age=3600')
      .send(await thumbnail(file, size as 96 | 192 | 384, cacheDir));
  });
}
