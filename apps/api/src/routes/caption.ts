import fs from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '@captioner/core';
import { decodingSettingsSchema } from '@captioner/stage-contract';
import { RunCaptioner } from '../captioning/run-captioner';
import { renderCaptionPage } from '../dashboard/caption-page';
import { datasetImageFile } from '../images/thumbnails';
import { parseInput } from '../validation';
import { runListView } from '@captioner/db';
import type { RouteContext } from './context';

/**
 * Largest upload, in bytes. Fastify refuses a longer body with 413 before it is read to the end; the
 * preprocessing's own `maxFileBytes` and pixel limit apply after that.
 */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;

const runParams = z.object({ id: z.string().min(1) });
const captionQuery = z.object({
  checkpoint: z.string().min(1).max(64).default('best'),
  beam: z.coerce.number().int().min(1).max(8).optional(),
});
const sampleParams = z.object({ sampleId: z.coerce.number().int().positive() });

/**
 * Captioning inside the API: `POST /api/runs/:id/caption` takes the image as the raw request body (any
 * Content-Type: the type is decided by the bytes, through sharp's header read), `GET /api/samples/:id/attention`
 * decodes a gallery sample again with its evaluation's checkpoint and settings to get the maps, and `/caption`
 * is the upload page. Raw bodies rather than multipart: the page sends one file with fetch(), so there is no
 * form encoding to parse and no multipart dependency to keep.
 */
export function registerCaptionRoutes(app: FastifyInstance, { config, db }: RouteContext): void {
  const captioner = new RunCaptioner(config, db);
  app.addHook('onClose', async () => captioner.dispose());

  void app.register(async (scope) => {
    // Only in this scope: every other route keeps refusing bodies that are not JSON or a form.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scope.post('/api/runs/:id/caption', { bodyLimit: MAX_UPLOAD_BYTES }, async (request) => {
      const { id } = parseInput(runParams, request.params, 'params');
      const query = parseInput(captionQuery, request.query, 'query');
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      return captioner.caption(
        id,
        query.checkpoint,
        body,
        'uploaded image',
        query.beam === undefined ? {} : { beamSize: query.beam },
      );
    });
  });

  app.get('/api/samples/:sampleId/attention', async (request) => {
    const { sampleId } = parseInput(sampleParams, request.params, 'params');
    // Everything that leads to the image and the model comes from the database, never from the request.
    const sample = await db.evaluationSample.findUnique({
      where: { id: sampleId },
      select: {
        imageId: true,
        candidate: true,
        evaluation: {
          select: {
            runId: true,
            checkpointId: true,
            settings: true,
            run: { select: { dataset: { select: { manifestPath: true } } } },
          },
        },
      },
    });
    if (!sample) throw new NotFoundError(`sample not found: ${sampleId}`);
    const { evaluation } = sample;
    const file = await datasetImageFile(evaluation.run.dataset.manifestPath, sample.imageId);
    const settings = decodingSettingsSchema.safeParse(jsonOf(evaluation.settings));
    const result = await captioner.caption(
      evaluation.runId,
      evaluation.checkpointId ?? 'best',
      await fs.readFile(file),
      sample.imageId,
      settings.success ? settings.data : {},
    );
    // The same checkpoint and settings decode the same caption; `matches` says so (an evaluation whose
    // checkpoint was pruned falls back to the best one and may differ).
    return {
      ...result,
      imageId: sample.imageId,
      stored: sample.candidate,
      matches: result.caption === sample.candidate,
    };
  });

  app.get('/caption', async (request, reply) => {
    const runs = await runListView(db, 100);
    const selected = (request.query as { run?: unknown }).run;
    return reply
      .type('text/html; charset=utf-8')
      .send(renderCaptionPage(runs, typeof selected === 'string' ? selected : undefined, MAX_UPLOAD_BYTES));
  });
}

/** A JSON column as a value (SQLite stores it as text). */
function jsonOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return {};
  }
}
